"""The frozen lower layers' output, computed once per sequence and reused by every step.

With LoRA on the last N of L decoder layers (``lora.last_layers``) the embedding and the first
L - N layers are frozen, and (without dropout) deterministic: the input of layer L - N for a
given group's tokens is the same on every step, every epoch and every eval-loss pass of a run,
and in every run whose start model has the same lower layers (an SFT sweep's configs; DPO from
an SFT model, whose adapters sat on the same last layers, and its reference pass). It also does
not depend on the row or the batch a group is packed into: in a packed row a group attends to
itself only and its positions start at 0 (packing.py), so its states are computed once, kept
per group, and laid out again in whatever rows a later step packs. A step then runs only the
last N layers forward and backward (``PackedBatch.states``, packing.completion_logprobs: the
same position ids, hence the same rotary embeddings, and the same mask as the full forward).

Equal to the full forward up to float summation order (a group computed in another row width
sums its attention in another order): tests/train/test_frozen.py checks losses and LoRA
gradients within tests/tolerance.py's 1e-5 in fp32. Nothing is assumed of the architecture:
the first batch a run takes from the states is also run by the full forward and must agree,
or the run goes on without them (``FrozenStates.checked``), as evaluate/prefix.py does.

Keyed like the reference cache (refcache.py): the sha256 of the frozen weights (embedding and
first L - N layers), the first adapted layer and the compute type; within it, by each group's
token ids. Held in memory (safetensors on disk would cost more to write than to recompute on a
CPU) and bounded by ``max_bytes``: beyond it, groups are run through the lower layers each time
they are drawn. The quick demo (uti and triage: 300 SFT groups of about 200 tokens, 576 wide,
fp32): about 140 MB per task and method; only one task's states are held at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import torch

from medtune.train import precision
from medtune.train.packing import (Group, PackedBatch, chunks_by_tokens, completion_logprobs, group_length, layers_window,
                                   pack, plan_rows)
from medtune.train.refcache import weights_hash

MAX_BYTES = 2 * 1024**3  # the default bound on the states held


def frozen_layers(model: Any, last_layers: int | None) -> int:
    """How many leading decoder layers LoRA on the last ``last_layers`` leaves frozen, or 0 where
    their output cannot be reused (no ``last_layers``, no layer below the adapters, dropout
    in the embedding or the frozen layers: their output would change from step to step)."""
    if last_layers is None:
        return 0
    decoder = model.get_decoder()
    layer = len(decoder.layers) - last_layers
    if layer <= 0 or getattr(model.config, "attention_dropout", 0.0):
        return 0
    below = [decoder.embed_tokens, *list(decoder.layers)[:layer]]
    if any(isinstance(m, torch.nn.Dropout) and m.p > 0 for b in below for m in b.modules()):
        return 0
    return layer


def frozen_hash(model: Any, layer: int) -> str:
    """sha256 of the embedding and the first ``layer`` decoder layers (refcache.weights_hash)."""
    decoder = model.get_decoder()
    return weights_hash(torch.nn.ModuleList([decoder.embed_tokens, *list(decoder.layers)[:layer]]))


def _key(group: Group) -> tuple:
    return tuple(group.prompt), tuple(tuple(c) for c in group.completions)


class FrozenStates:
    """The input of decoder layer ``layer`` per group (one [tokens, hidden] tensor each, on the
    CPU), for models whose embedding and first ``layer`` layers hash to ``weights``, computed
    in ``dtype`` (train/precision.py)."""

    def __init__(self, model: Any, layer: int, dtype: str, max_bytes: int = MAX_BYTES) -> None:
        assert layer > 0
        self.layer, self.dtype, self.max_bytes = layer, dtype, max_bytes
        self.weights = frozen_hash(model, layer)
        self.states: dict[tuple, torch.Tensor] = {}
        self.bytes = 0
        self.groups_computed = 0  # groups run through the lower layers (a measure of the saving)
        # None until a batch from the states was compared with the full forward; then the verdict
        self.checked: bool | None = None

    def fits(self, model: Any, layer: int, dtype: str) -> bool:
        """Whether these states are ``model``'s below ``layer`` in ``dtype``."""
        return (layer, dtype) == (self.layer, self.dtype) and frozen_hash(model, layer) == self.weights

    @torch.no_grad()
    def fill(self, model: Any, groups: list[Group], pack_tokens: int) -> None:
        """Run the groups not held yet through the embedding and the lower layers, packed as
        ``sequence_logprobs`` packs them, and keep each group's states (within ``max_bytes``)."""
        missing = list({_key(g): g for g in groups if _key(g) not in self.states}.values())
        for chunk in chunks_by_tokens(missing, pack_tokens * 4):
            if self.bytes >= self.max_bytes:
                return
            rows = plan_rows(chunk, pack_tokens)
            batch = pack(chunk, rows).to(model.device)
            with precision.autocast(self.dtype, model.device):
                hidden = lower_states(model, batch, self.layer).cpu()
            for g, (r, start) in zip(chunk, _spans(chunk, rows)):
                if self.bytes < self.max_bytes:
                    kept = hidden[r, start : start + group_length(g)].clone()
                    self.states[_key(g)] = kept
                    self.bytes += kept.numel() * kept.element_size()
            self.groups_computed += len(chunk)

    def attach(self, model: Any, groups: list[Group], rows: list[list[int]], batch: PackedBatch,
               pack_tokens: int) -> PackedBatch:
        """``batch`` (``pack(groups, rows)``) carrying its groups' states, filled first where
        missing; unchanged (a full forward) where some do not fit or the check failed."""
        if self.checked is False:
            return batch
        self.fill(model, groups, pack_tokens)
        if any(_key(g) not in self.states for g in groups):
            return batch
        hidden = torch.zeros(*batch.input_ids.shape, self._width(), dtype=self._type())
        for g, (r, start) in zip(groups, _spans(groups, rows)):
            hidden[r, start : start + group_length(g)] = self.states[_key(g)]
        with_states = replace(batch, states=hidden.to(batch.input_ids.device), start_layer=self.layer)
        if self.checked is None:
            self.checked = _agrees(model, batch, with_states, self.dtype)
            if not self.checked:
                return batch
        return with_states

    def logprobs(self, model: Any, groups: list[Group], pack_tokens: int) -> torch.Tensor:
        """``sequence_logprobs`` of ``model`` (summed completion log-probs, nats, in order) from
        the states, filling them on the way: the DPO reference pass keeps what the DPO steps
        then reuse. The same packing as ``sequence_logprobs``, so a group first computed here
        gets the very values of a full forward."""
        out = []
        with _eval_mode(model), torch.no_grad():
            for chunk in chunks_by_tokens(groups, pack_tokens * 4):
                rows = plan_rows(chunk, pack_tokens)
                batch = self.attach(model, chunk, rows, pack(chunk, rows).to(model.device), pack_tokens)
                with precision.autocast(self.dtype, model.device):
                    out.append(completion_logprobs(model, batch)[1].cpu())
        return torch.cat(out) if out else torch.zeros(0)

    def _width(self) -> int:
        return next(iter(self.states.values())).shape[-1]

    def _type(self) -> torch.dtype:
        return next(iter(self.states.values())).dtype


def lower_states(model: Any, batch: PackedBatch, layer: int) -> torch.Tensor:
    """The input of decoder layer ``layer`` [rows, length, hidden]: the decoder cut after
    ``layer`` layers and without its final norm. ``completion_logprobs`` of the batch carrying
    them (``start_layer=layer``) is the full forward's, bit for bit."""
    decoder = model.get_decoder()
    norm = decoder.norm
    decoder.norm = torch.nn.Identity()
    try:
        with layers_window(decoder, 0, layer):
            return decoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                           position_ids=batch.position_ids, use_cache=False).last_hidden_state
    finally:
        decoder.norm = norm


def _spans(groups: list[Group], rows: list[list[int]]) -> list[tuple[int, int]]:
    """(row, first position) of every group in ``pack(groups, rows)``, in group order."""
    where: dict[int, tuple[int, int]] = {}
    for r, row in enumerate(rows):
        cursor = 0
        for gi in row:
            where[gi] = (r, cursor)
            cursor += group_length(groups[gi])
    return [where[i] for i in range(len(groups))]


@torch.no_grad()
def _agrees(model: Any, full: PackedBatch, with_states: PackedBatch, dtype: str) -> bool:
    """Whether the forward from the states gives the full forward's log-probs (the check of the
    architecture: do its upper layers run the same without the lower ones in front?)."""
    with _eval_mode(model), precision.autocast(dtype, full.input_ids.device):
        a = completion_logprobs(model, full)[1]
        b = completion_logprobs(model, with_states)[1]
    return bool(torch.allclose(a, b, rtol=1e-4, atol=1e-3))


@contextlib.contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)
