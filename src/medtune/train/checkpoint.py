"""Training checkpoints: what a run needs to continue exactly where it stopped.

A checkpoint is a directory ``step-000120/`` holding
- ``weights.safetensors``: the trainable weights only (the LoRA adapter; every weight for full
  fine-tuning), by parameter name;
- ``trainer.pt``: optimizer and scheduler state, the RNG states (torch, Python ``random``,
  CUDA). Only resuming needs it, so callers
  delete it from every checkpoint but the newest (``drop_trainer``);
- ``state.json``: the step, the train losses and the eval-loss curve so far, tokens and
  training seconds.
The batch stream is not saved: it is a seeded generator, replayed to the step.

A checkpoint is written into a temporary sibling, every file fsynced, then renamed: a
directory named ``step-N`` is complete. Callers record it (study.db) only after ``save``
returns, so a recorded checkpoint is always whole; an unrecorded directory is debris of a
killed process and may be deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

WEIGHTS, TRAINER, STATE = "weights.safetensors", "trainer.pt", "state.json"


def step_dir(directory: Path, step: int) -> Path:
    return directory / f"step-{step:06d}"


def trainable_weights(model: Any) -> dict[str, torch.Tensor]:
    """Parameters that train: the adapter with LoRA, all of them for full fine-tuning.
    (``named_parameters`` lists a tied embedding once.)"""
    return {n: p.detach().to("cpu").contiguous().clone() for n, p in model.named_parameters() if p.requires_grad}


def set_weights(model: Any, weights: dict[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    missing = sorted(set(weights) ^ {n for n, p in params.items() if p.requires_grad})
    if missing:
        raise ValueError(f"checkpoint does not match the model's trainable weights: {missing[:5]}")
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value)


def rng_state() -> dict[str, Any]:
    import random

    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import random

    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def save(directory: Path, step: int, weights: dict[str, torch.Tensor], trainer: dict[str, Any],
         state: dict[str, Any]) -> Path:
    """Write checkpoint ``step`` atomically; returns its directory."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    target = step_dir(directory, step)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=directory))
    try:
        save_file(weights, str(tmp / WEIGHTS))
        torch.save(trainer, tmp / TRAINER)
        (tmp / STATE).write_text(json.dumps(state), encoding="utf-8")
        for name in (WEIGHTS, TRAINER, STATE):
            _fsync_file(tmp / name)
        _fsync_dir(tmp)
        if target.exists():  # an unrecorded leftover of a killed run: same step, stale content
            shutil.rmtree(target)
        os.rename(tmp, target)
        _fsync_dir(directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_state(path: Path) -> dict[str, Any]:
    return json.loads((path / STATE).read_text(encoding="utf-8"))


def load_trainer(path: Path) -> dict[str, Any]:
    return torch.load(path / TRAINER, weights_only=True)


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path / WEIGHTS))


def drop_trainer(path: Path) -> None:
    """Keep only the weights (an older checkpoint is never resumed from)."""
    (path / TRAINER).unlink(missing_ok=True)


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def load_trained(start_model: Any, path: Path, lora: Any, seed: int) -> Any:
    """The model a run had at checkpoint ``path``: a copy of ``start_model`` with the
    checkpoint's weights (LoRA: the adapter applied as in training, then merged). ``start_model``
    is left untouched."""
    import copy

    from medtune.train.settings import apply_lora

    model = copy.deepcopy(start_model)
    if lora is not None:
        model = apply_lora(model, lora, seed)
    set_weights(model, load_weights(path))
    if lora is not None:
        model = model.merge_and_unload()
    model.eval()
    return model
