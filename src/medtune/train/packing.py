"""Prompt-shared, packed sequences: one layout for SFT, DPO and label scoring.

A *group* is one prompt followed by one or more completions: SFT has one (the gold answer),
DPO two (chosen, rejected), label scoring one per allowed answer. In a packed row each
completion attends to its own prompt and to itself only, never to a sibling completion or to
another group, and its position ids restart right after the prompt, so each completion sees
exactly what it would see alone after the prompt. The prompt is thus computed once however
many completions follow it, which is what makes DPO and multi-label scoring cheap on long
clinical prompts (DESIGN.md, "Machine facts").

Only completion tokens are scored: for each, the batch records the row, the position whose
output predicts it (the previous token of the same completion, or the last prompt token for
its first token) and the token id, so the LM head runs on those positions only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

from medtune.train.attention import block_mask, dense_mask, uses_flex


@dataclass(frozen=True)
class Group:
    prompt: list[int]
    completions: list[list[int]]


@dataclass
class PackedBatch:
    input_ids: torch.Tensor  # [rows, length] long
    position_ids: torch.Tensor  # [rows, length] long
    doc_ids: torch.Tensor  # [rows, length] long: the token's group slot in its row, -1 = padding
    segment_ids: torch.Tensor  # [rows, length] long: 0 = prompt, k = completion k, -1 = padding
    score_row: torch.Tensor  # [n_scored] long
    score_pos: torch.Tensor  # [n_scored] long: position whose output predicts the token
    score_token: torch.Tensor  # [n_scored] long
    score_seq: torch.Tensor  # [n_scored] long: index of the completion (group order, then completion order)
    n_seqs: int
    n_tokens: int  # real (non-pad) tokens in the batch
    # The input of decoder layer ``start_layer`` for every position, when the layers below it
    # were run already (train/frozen.py, evaluate/prefix.py): the forward starts there.
    states: torch.Tensor | None = None  # [rows, length, hidden]
    start_layer: int = 0

    @property
    def attention_mask(self) -> torch.Tensor:
        """[rows, 1, length, length] bool, True = may attend (``attention.may_attend``)."""
        return dense_mask(self.doc_ids, self.segment_ids)

    def to(self, device: torch.device | str) -> PackedBatch:
        fields = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in vars(self).items()}
        return PackedBatch(**fields)


def group_length(group: Group) -> int:
    return len(group.prompt) + sum(len(c) for c in group.completions)


def plan_rows(groups: list[Group], max_tokens: int) -> list[list[int]]:
    """Group indices per row, each row at most ``max_tokens`` long (a longer group gets a row
    of its own), rows as even in length as possible: every row is padded to the longest one,
    so an uneven split (first-fit in order left one row of 900 tokens and one of 300 for eight
    150-token pairs) computes padding.

    First-fit decreasing sets the number of rows; then the groups, longest first, go each to
    the shortest row it fits in. Deterministic; rows, and indices within a row, ascending."""
    lengths = [group_length(g) for g in groups]
    order = sorted(range(len(groups)), key=lambda i: (-lengths[i], i))
    used: list[int] = []
    for i in order:  # first-fit decreasing: how many rows
        r = next((r for r, u in enumerate(used) if u + lengths[i] <= max_tokens), None)
        if r is None:
            used.append(lengths[i])
        else:
            used[r] += lengths[i]
    rows: list[list[int]] = [[] for _ in used]
    used = [0] * len(rows)
    for i in order:
        r = min(range(len(rows)), key=lambda r: (used[r], r))
        if used[r] and used[r] + lengths[i] > max_tokens:
            rows.append([])
            used.append(0)
            r = len(rows) - 1
        rows[r].append(i)
        used[r] += lengths[i]
    return sorted(sorted(row) for row in rows if row)


def pack(groups: list[Group], rows: list[list[int]] | None = None, pad_id: int = 0) -> PackedBatch:
    """Lay groups out in rows (one group per row unless ``rows`` says otherwise)."""
    if rows is None:
        rows = [[i] for i in range(len(groups))]
    length = max(sum(group_length(groups[i]) for i in row) for row in rows)
    n_rows = len(rows)
    input_ids = torch.full((n_rows, length), pad_id, dtype=torch.long)
    position_ids = torch.zeros((n_rows, length), dtype=torch.long)
    # Per token: which group (within the row) and which segment (0 = prompt, k = completion k).
    group_of = torch.full((n_rows, length), -1, dtype=torch.long)
    seg_of = torch.full((n_rows, length), -1, dtype=torch.long)
    score_row, score_pos, score_token, score_seq = [], [], [], []
    # Completions are numbered in group order so results line up with the caller's groups.
    seq_base = [0]
    for g in groups:
        seq_base.append(seq_base[-1] + len(g.completions))

    for r, row in enumerate(rows):
        cursor = 0
        for slot, gi in enumerate(row):
            g = groups[gi]
            p = len(g.prompt)
            input_ids[r, cursor : cursor + p] = torch.tensor(g.prompt)
            position_ids[r, cursor : cursor + p] = torch.arange(p)
            group_of[r, cursor : cursor + p] = slot
            seg_of[r, cursor : cursor + p] = 0
            last_prompt = cursor + p - 1
            cursor += p
            for k, comp in enumerate(g.completions, start=1):
                c = len(comp)
                input_ids[r, cursor : cursor + c] = torch.tensor(comp)
                position_ids[r, cursor : cursor + c] = torch.arange(p, p + c)
                group_of[r, cursor : cursor + c] = slot
                seg_of[r, cursor : cursor + c] = k
                for t in range(c):
                    score_row.append(r)
                    score_pos.append(last_prompt if t == 0 else cursor + t - 1)
                    score_token.append(comp[t])
                    score_seq.append(seq_base[gi] + k - 1)
                cursor += c

    return PackedBatch(
        input_ids=input_ids,
        position_ids=position_ids,
        doc_ids=group_of,
        segment_ids=seg_of,
        score_row=torch.tensor(score_row, dtype=torch.long),
        score_pos=torch.tensor(score_pos, dtype=torch.long),
        score_token=torch.tensor(score_token, dtype=torch.long),
        score_seq=torch.tensor(score_seq, dtype=torch.long),
        n_seqs=seq_base[-1],
        n_tokens=int((group_of >= 0).sum()),
    )


def completion_logprobs(model: Any, batch: PackedBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities of the completion tokens (nats): (per scored token [n_scored],
    summed per completion [n_seqs]). The LM head runs on scored positions only."""
    decoder = model.get_decoder()
    head = model.get_output_embeddings()
    if uses_flex(decoder):
        mask = block_mask(batch.doc_ids, batch.segment_ids)
    else:
        mask = batch.attention_mask
    if batch.states is None:
        hidden = decoder(input_ids=batch.input_ids, attention_mask=mask, position_ids=batch.position_ids,
                         use_cache=False).last_hidden_state
    else:  # the same positions and mask: rotary embeddings and masking as in the full forward
        with layers_window(decoder, batch.start_layer, None):
            hidden = decoder(inputs_embeds=batch.states, attention_mask=mask, position_ids=batch.position_ids,
                             use_cache=False).last_hidden_state
    return head_logprobs(head, batch, hidden)


@contextlib.contextmanager
def layers_window(decoder: Any, start: int, stop: int | None) -> Iterator[None]:
    """The decoder with only its layers ``start:stop``, for the block (its embedding, rotary
    embedding, mask and final norm are left as they are)."""
    layers = decoder.layers
    decoder.layers = torch.nn.ModuleList(list(layers)[start:stop])
    try:
        yield
    finally:
        decoder.layers = layers


def head_logprobs(head: Any, batch: PackedBatch, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``completion_logprobs`` from the decoder's last hidden states [rows, length, hidden]."""
    h = hidden[batch.score_row, batch.score_pos]
    logits = head(h).float()
    token_lp = torch.log_softmax(logits, dim=-1).gather(-1, batch.score_token.unsqueeze(-1)).squeeze(-1)
    seq_lp = torch.zeros(batch.n_seqs, dtype=token_lp.dtype, device=token_lp.device)
    seq_lp = seq_lp.index_add(0, batch.score_seq, token_lp)
    return token_lp, seq_lp


class PackedScorer(torch.nn.Module):
    """``completion_logprobs`` as a module's ``forward``: what DDP or FSDP wrap, so every
    forward goes through the wrapper (DDP readies its gradient reduction there, FSDP gathers
    its shards) while the layout stays packing's."""

    def __init__(self, lm: Any) -> None:
        super().__init__()
        self.lm = lm
        # FSDP wraps each decoder layer as a unit: the layer classes the model names.
        self._no_split_modules = getattr(lm, "_no_split_modules", None)

    def forward(self, batch: PackedBatch) -> tuple[torch.Tensor, torch.Tensor]:
        return completion_logprobs(self.lm, batch)


@torch.no_grad()
def sequence_logprobs(model: Any, groups: list[Group], pack_tokens: int, device: Any = None,
                      on_groups: Callable[[int], None] | None = None) -> torch.Tensor:
    """Summed completion log-probs for every completion of every group (nats), in order.
    ``model``: a causal LM, or a (wrapped) ``PackedScorer`` on ``device``. ``on_groups(n)``
    is told after each packed chunk how many groups it scored (progress of a long evaluation)."""
    was_training = model.training
    model.eval()
    score = model if device is not None else lambda b: completion_logprobs(model, b)
    device = model.device if device is None else device
    out = []
    for n, batch in counted_chunks(groups, pack_tokens):
        out.append(score(batch.to(device))[1].cpu())
        if on_groups is not None:
            on_groups(n)
    model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0)


def sharded_logprobs(model: Any, groups: list[Group], pack_tokens: int) -> torch.Tensor:
    """``sequence_logprobs`` with the groups split across processes and gathered (every rank
    calls it and gets all of them; train/distributed.py). Each rank packs only its shard, so
    values match one process's to float rounding, not bit for bit."""
    from medtune.train.distributed import shard_tensor

    return shard_tensor(lambda part: sequence_logprobs(model, list(part), pack_tokens), groups)


def packed_chunks(groups: list[Group], pack_tokens: int) -> Iterator[PackedBatch]:
    """The packed batches ``sequence_logprobs`` scores, in order (deterministic: the same
    groups always give the same batches)."""
    for _, batch in counted_chunks(groups, pack_tokens):
        yield batch


def counted_chunks(groups: list[Group], pack_tokens: int) -> Iterator[tuple[int, PackedBatch]]:
    """``packed_chunks`` with how many groups each batch holds: (n, batch), in order."""
    for chunk in chunks_by_tokens(groups, pack_tokens * 4):
        yield len(chunk), pack(chunk, plan_rows(chunk, pack_tokens))


def chunks_by_tokens(groups: list[Group], budget: int) -> Iterator[list[Group]]:
    chunk, used = [], 0
    for g in groups:
        n = group_length(g)
        if chunk and used + n > budget:
            yield chunk
            chunk, used = [], 0
        chunk.append(g)
        used += n
    if chunk:
        yield chunk
