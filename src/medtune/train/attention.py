"""Who may attend to whom in a packed row, as a dense 4D mask (SDPA) or a FlexAttention block
mask, both from the same rule and the same packing metadata.

A packed row holds several groups (prompt, then completions); per token it records its group
slot in the row (``doc``, -1 for padding) and its segment (``seg``: 0 prompt, k completion k).
The rule (``may_attend``): a token sees earlier tokens of its own group that are prompt tokens
or in its own segment, so a rejected answer never sees the chosen one and no group sees
another; a padding token sees itself only (an empty softmax row would give NaN).

On a CPU the dense [rows, 1, L, L] bool mask goes through SDPA. Where CUDA is present,
training switches the model to FlexAttention (``use_flex_attention``), whose block mask skips
the fully masked tiles (other groups, the rejected->chosen block) instead of computing them.
"""

from __future__ import annotations

from typing import Any

import torch


def may_attend(doc: torch.Tensor, seg: torch.Tensor, b: Any, q: Any, k: Any) -> torch.Tensor:
    """The packing rule for query position ``q`` and key position ``k`` of row ``b`` (indices
    or broadcastable index tensors), as a bool tensor."""
    doc_q, doc_k, seg_q, seg_k = doc[b, q], doc[b, k], seg[b, q], seg[b, k]
    real = doc_q >= 0
    visible = (doc_q == doc_k) & ((seg_k == 0) | (seg_q == seg_k)) & (k <= q)
    return (real & visible) | (~real & (q == k))


def dense_mask(doc: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
    """[rows, 1, L, L] bool, True = may attend (SDPA's convention)."""
    rows, length = doc.shape
    b = torch.arange(rows, device=doc.device).view(-1, 1, 1)
    pos = torch.arange(length, device=doc.device)
    return may_attend(doc, seg, b, pos.view(1, -1, 1), pos.view(1, 1, -1)).unsqueeze(1)


def block_mask(doc: torch.Tensor, seg: torch.Tensor) -> Any:
    """The same rule as a FlexAttention ``BlockMask`` (one mask shared by all heads)."""
    from torch.nn.attention.flex_attention import create_block_mask

    def mask_mod(b, h, q, k):
        return may_attend(doc, seg, b, q, k)

    rows, length = doc.shape
    return create_block_mask(mask_mod, rows, None, length, length, device=doc.device)


def uses_flex(model: Any) -> bool:
    return getattr(model.config, "_attn_implementation", None) == "flex_attention"


def use_flex_attention(model: Any) -> str | None:
    """Where CUDA is present, switch ``model`` to FlexAttention; return the implementation it
    had, to restore (None: nothing changed, e.g. on a CPU, where SDPA with the dense mask
    stays: FlexAttention there runs only compiled, or as a slow reference in eager mode)."""
    if not torch.cuda.is_available() or uses_flex(model):
        return None
    previous = model.config._attn_implementation
    model.set_attn_implementation("flex_attention")
    return previous
