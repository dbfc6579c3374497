"""What every stage of a study run shares (``Context``, built by processes.open_context), and
models loaded only when a stage needs one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtune.config import Study
from medtune.study.shared import SharedStore


@dataclass
class Progress:
    """Callbacks the CLI hooks a progress display onto; the library prints nothing."""

    stage: Callable[[str, int], None] = lambda name, total: None  # a stage starts, total units
    advance: Callable[[int], None] = lambda n: None
    log: Callable[[str], None] = lambda msg: None


def device_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


@dataclass
class Context:
    """The stage context: every stage function takes it and the task's data (task_data.py)."""

    study: Study
    store: SharedStore  # study.db, from every process (shared.py)
    tokenizer: Any  # the model's tokenizer (transformers)
    progress: Progress  # the CLI's hooks (silent on ranks other than 0)
    out_dir: Path  # the study directory
    device: str  # the device name recorded with each run
    base: Lazy  # the base model, where the SFT sweep starts
    # the base model's hidden states on a task's test batches, for the SFT and DPO test
    # evaluations (evaluate/prefix.py): {split: (task, base model, PrefixStates)}
    eval_prefix: dict[str, Any] = field(default_factory=dict)
    # the training runs' states below the LoRA layers (train/frozen.py), one task and method's
    # at a time: {(task, method, start model's spec): FrozenStates or None}
    frozen_states: dict[Any, Any] = field(default_factory=dict)


class Lazy:
    """A model built on first use, then kept: a rerun whose stages are all stored never
    rebuilds the SFT model from its checkpoint."""

    def __init__(self, load: Callable[[], Any], spec: tuple = ("base",)) -> None:
        # spec: how another process rebuilds the model: ("base",) or ("checkpoint", run_id, step)
        self._load, self._value, self.spec = load, None, spec

    def get(self) -> Any:
        if self._value is None:
            self._value = self._load()
        return self._value
