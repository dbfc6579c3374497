"""DPO reference log-probs, computed once and kept in the study directory.

DPO needs, for every training pair it draws and every eval pair, the summed log-probs of the
chosen and the rejected answer under the *reference* model (the starting SFT weights). They
never change while those weights and those token ids stay the same, so they are computed
before training, outside the DPO step, and stored: every config of a DPO sweep (learning rate x
beta) and every rerun of the study reads them instead of running the reference model again.

A stored file is keyed by the sha256 of the reference weights (every tensor's bytes, dtype and
shape), of the token ids of one split's pairs (which covers the data, the tokenizer, the chat
template and the system prompt), the packing budget and the device type (the last two change
the float summation order, so values are reproduced bit for bit only with the same ones), and
the compute type (fp32 or bf16 autocast, train/precision.py; also in the file's metadata). A
change of any of them is a different file: stale values are never read.

Only the pairs a run will draw are computed (``indices``): a short DPO budget on a large train
split (the quick demo: 6 steps x 8 pairs of 300) would otherwise pay a reference pass over
pairs no step uses. Pairs not yet computed are NaN in the file; a later run that draws more
(a longer budget, another seed) computes just the missing ones and rewrites the file.

The process count is deliberately not in the key: a study continued on another number of
processes (docs/scaling.md) reads what the earlier run stored. Values computed under N
processes (each rank packs its shard of the pairs) equal one process's to float rounding;
tests/train/test_refcache.py checks that 1 and 2 processes share one file both ways.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from medtune.files import atomic_path
from medtune.train import distributed, precision
from medtune.train.packing import Group, sequence_logprobs

FORMAT = 1  # bump when the meaning of a stored value changes


@dataclass(frozen=True)
class Reference:
    """Reference log-probs per pair, columns (chosen, rejected), summed over completion
    tokens, nats. Rows of pairs that were not needed are NaN."""

    train: torch.Tensor  # [n_train, 2]
    eval: torch.Tensor  # [n_eval, 2]


def compute_device(model: Any) -> torch.device:
    """Where the reference pass runs: the GPU if there is one, else where the model is."""
    return torch.device("cuda") if torch.cuda.is_available() else next(model.parameters()).device


@contextmanager
def _on(model: Any, device: torch.device) -> Iterator[None]:
    """``model`` moved to ``device`` for the block, and back (the caller's model stays put)."""
    before = next(model.parameters()).device
    if before.type == device.type:
        yield
        return
    model.to(device)
    try:
        yield
    finally:
        model.to(before)


def compute_logprobs(model: Any, groups: list[Group], indices: list[int], pack_tokens: int,
                     dtype: str = "fp32", frozen: Any = None) -> torch.Tensor:
    """[len(groups), 2] reference log-probs for the pairs in ``indices`` (NaN elsewhere), the
    forward computed in ``dtype`` (train/precision.py), the values fp32.
    Under several processes, every rank computes a shard of them and gets all. ``frozen`` (a
    ``FrozenStates``, train/frozen.py, which hashes weights with this module's ``weights_hash``) keeps the pairs' states below the LoRA layers for the DPO steps; the
    values are those of the full forward (the same packing)."""
    out = torch.full((len(groups), 2), float("nan"))
    if indices:
        device = compute_device(model)
        with _on(model, device), precision.autocast(dtype, device):
            score = sequence_logprobs if frozen is None else frozen.logprobs
            lp = distributed.shard_tensor(lambda part: score(model, list(part), pack_tokens),
                                          [groups[i] for i in indices])
        out[indices] = lp.view(-1, 2).float()
    return out


def weights_hash(model: Any) -> str:
    """sha256 over the model's state dict: names, dtypes, shapes and bytes (about 1.5 GB/s).

    Tied tensors (e.g. the input embedding and the LM head) are hashed once and then named as
    an alias, so a model whose tie is broken hashes differently."""
    h = hashlib.sha256()
    seen: dict[tuple[int, torch.dtype, tuple[int, ...]], str] = {}
    for name, t in model.state_dict().items():
        t = t.detach()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        key = (t.data_ptr(), t.dtype, tuple(t.shape))
        if key in seen:
            h.update(f"alias:{seen[key]};".encode())
            continue
        seen[key] = name
        flat = t.cpu().contiguous().reshape(-1).view(torch.uint8)
        h.update(flat.numpy().data)
    return h.hexdigest()


def tokens_hash(groups: list[Group]) -> str:
    """sha256 of every pair's prompt and completion token ids, in order."""
    h = hashlib.sha256()
    for g in groups:
        h.update(json.dumps([g.prompt, g.completions], separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


class ReferenceCache:
    """Reference log-probs of one reference model, read from and written to ``directory``.

    The weights are hashed once, here; the model must not change while the cache is in use
    (the study runner gives it the selected SFT model, which training never touches: every
    DPO run trains a copy). ``pairs_computed`` counts reference forwards actually run."""

    def __init__(self, directory: Path, model: Any, pack_tokens: int, dtype: str = "fp32",
                 frozen: Any = None) -> None:
        self.directory = Path(directory)
        self.frozen = frozen  # where the pass keeps the states below the LoRA layers (train/frozen.py)
        self.model = model
        self.pack_tokens = pack_tokens
        self.dtype = dtype  # the compute type of the reference forwards (train/precision.py)
        self.weights = weights_hash(model)
        self.pairs_computed = 0

    def path(self, groups: list[Group]) -> Path:
        key = {
            "format": FORMAT,
            "weights": self.weights,
            "tokens": tokens_hash(groups),
            "pack_tokens": self.pack_tokens,
            "device": compute_device(self.model).type,
            "dtype": self.dtype,
        }
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        return self.directory / f"{digest}.safetensors"

    def logprobs(self, groups: list[Group], indices: list[int] | None = None) -> torch.Tensor:
        """[len(groups), 2] log-probs, computed for ``indices`` (default: all) if not stored."""
        indices = list(range(len(groups))) if indices is None else sorted(set(indices))
        path = self.path(groups)
        # Under several processes rank 0 reads the file and alone writes it; every rank computes
        # a shard of the missing pairs (compute_logprobs), so all agree on what is missing.
        values = distributed.run_on_main(lambda: self._read(path, len(groups)))
        missing = [i for i in indices if torch.isnan(values[i]).any()]
        if missing:
            fresh = compute_logprobs(self.model, groups, missing, self.pack_tokens, self.dtype, self.frozen)
            values[missing] = fresh[missing]
            self.pairs_computed += len(missing)
            distributed.run_on_main(lambda: self._write(path, values))
        return values

    @staticmethod
    def _read(path: Path, n: int) -> torch.Tensor:
        from safetensors.torch import load_file

        values = torch.full((n, 2), float("nan"))
        if path.exists():
            stored = load_file(path)["logprobs"]
            if stored.shape == values.shape:
                values = stored
        return values

    def reference(self, train_groups: list[Group], eval_groups: list[Group], train_indices: list[int]) -> Reference:
        """The values one DPO run needs: the train pairs it will draw and every eval pair."""
        return Reference(self.logprobs(train_groups, train_indices), self.logprobs(eval_groups))

    def _write(self, path: Path, values: torch.Tensor) -> None:
        """Write to a temporary file, then rename: a reader never sees a half-written file, and
        two writers leave one complete file (the other's extra pairs are computed again)."""
        from safetensors.torch import save_file

        self.directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            save_file({"logprobs": values.contiguous()}, str(tmp),
                      metadata={"weights": self.weights, "dtype": self.dtype})
