"""Choice scoring of a fine-tuned model that starts from the base model's hidden states.

LoRA on the last N layers only (``training.lora.last_layers``) leaves the embedding and the
first L - N decoder layers of the SFT and DPO models bit for bit those of the base model. On
the same packed batches, their hidden states after those layers are the base model's. So the
base model's test evaluation keeps them (``PrefixStates``, the input of layer L - N for every
packed batch, from train/frozen.py's ``lower_states``, which training reuses the same way), and the SFT and DPO test evaluations run only the last N layers, the final norm
and the LM head from there: with the quick demo's 8 of 30 layers, about a quarter of a forward.

Nothing is assumed: the shared layers are found by comparing the weights tensor for tensor
(``shared_layers``), the batches by their token ids, and the first fine-tuned model's first
batch is also scored by the full forward and must agree (architectures whose layers depend on
their index, such as Gemma 3's alternating attention, would not: they are scored the ordinary
way).

Memory: one hidden vector per packed token (the quick demo's 160 triage test examples with
their 4 candidate answers: about 50k tokens x 576 x 4 bytes = 115 MB), kept for one task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from medtune.train import precision
from medtune.train.packing import Group, counted_chunks
from medtune.train.refcache import tokens_hash


@dataclass
class PrefixStates:
    layer: int  # the states are the input of decoder layer ``layer``
    tokens: str  # tokens_hash of the groups they were computed on
    pack_tokens: int
    dtype: str
    states: list[torch.Tensor] = field(default_factory=list)  # one per packed batch, on the CPU
    # set once a model's first batch scored from the states agreed with its full forward: the
    # check is of the architecture (do its layers run the same without the first ones?), so
    # the next fine-tuned model of the same base is not checked again
    checked: bool = False


def shared_layers(base: Any, model: Any) -> int:
    """How many leading decoder layers ``model`` shares with ``base`` (0 if the embedding
    differs): weights compared exactly, name for name."""
    a, b = base.get_decoder(), model.get_decoder()
    if not _same(a.embed_tokens, b.embed_tokens):
        return 0
    n = 0
    for la, lb in zip(a.layers, b.layers):
        if not _same(la, lb):
            break
        n += 1
    return n


def _same(m1: torch.nn.Module, m2: torch.nn.Module) -> bool:
    p1, p2 = dict(m1.named_parameters()), dict(m2.named_parameters())
    return p1.keys() == p2.keys() and all(torch.equal(p1[k], p2[k]) for k in p1)


@torch.no_grad()
def capture(model: Any, groups: list[Group], pack_tokens: int, layer: int, dtype: str,
            on_groups: Callable[[int], None] | None = None) -> tuple[torch.Tensor, PrefixStates]:
    """``sequence_logprobs`` of ``model`` (summed completion log-probs, nats), keeping the input
    of decoder layer ``layer`` of every packed batch. ``on_groups(n)`` after each batch."""
    from medtune.train.frozen import lower_states
    from medtune.train.packing import completion_logprobs

    kept = PrefixStates(layer, tokens_hash(groups), pack_tokens, dtype)
    out = []
    for n, batch in _scoring(model, groups, pack_tokens, dtype):
        batch = batch.to(model.device)
        hidden = lower_states(model, batch, layer)
        kept.states.append(hidden.cpu())
        out.append(completion_logprobs(model, replace(batch, states=hidden, start_layer=layer))[1].cpu())
        _told(on_groups, n)
    return (torch.cat(out) if out else torch.zeros(0)), kept


@torch.no_grad()
def score_from(model: Any, base: Any, prefix: PrefixStates, groups: list[Group], pack_tokens: int,
               dtype: str, on_groups: Callable[[int], None] | None = None) -> torch.Tensor | None:
    """``sequence_logprobs`` of ``model`` from the base model's states, or None where they cannot
    be used (other batches or settings, fewer shared layers, or the first batch disagrees with
    a full forward: checked for the first model scored from these states, before ``on_groups``
    is told of any batch, so a fallback to a full forward counts each batch once)."""
    from medtune.train.packing import completion_logprobs

    if (prefix.tokens, prefix.pack_tokens, prefix.dtype) != (tokens_hash(groups), pack_tokens, dtype):
        return None
    if shared_layers(base, model) < prefix.layer:
        return None
    out = []
    for i, (n, batch) in enumerate(_scoring(model, groups, pack_tokens, dtype)):
        batch = batch.to(model.device)
        seq = completion_logprobs(model, replace(batch, states=prefix.states[i].to(model.device),
                                                 start_layer=prefix.layer))[1].cpu()
        if i == 0 and not prefix.checked:
            full = completion_logprobs(model, batch)[1].cpu()
            if not torch.allclose(seq, full, rtol=1e-4, atol=1e-3):
                return None
            prefix.checked = True
        out.append(seq)
        _told(on_groups, n)
    return torch.cat(out) if out else torch.zeros(0)


def _told(on_groups: Callable[[int], None] | None, n: int) -> None:
    if on_groups is not None:
        on_groups(n)


def _scoring(model: Any, groups: list[Group], pack_tokens: int, dtype: str) -> Iterator[tuple[int, Any]]:
    """(groups in the batch, packed batch), each yielded inside eval mode and the compute type's
    autocast."""
    was_training = model.training
    model.eval()
    try:
        for n, batch in counted_chunks(groups, pack_tokens):
            with precision.autocast(dtype, model.device):
                yield n, batch
    finally:
        model.train(was_training)
