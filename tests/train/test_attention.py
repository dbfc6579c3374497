"""The packing rule as a FlexAttention block mask gives what the dense SDPA mask gives: the
same booleans, and through the model the same log-probs.

FlexAttention is used only where CUDA is present; on a CPU it runs forward only, compiled
(transformers compiles it: about a minute on the tiny model here, too slow for the unit tier;
measured equal to SDPA within 5e-7) or eagerly, as a reference implementation of the same
semantics. These tests run it eagerly.
"""

import copy

import pytest
import torch

from medtune.train.attention import block_mask, dense_mask, use_flex_attention, uses_flex
from medtune.train.packing import Group, completion_logprobs, pack

pytest.importorskip("torch.nn.attention.flex_attention")

SPEC = [(20, [3, 5]), (7, [1, 2, 6]), (31, [4]), (5, [2, 2]), (12, [7])]


def _groups(vocab, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [Group(torch.randint(3, vocab, (p,), generator=g).tolist(),
                  [torch.randint(3, vocab, (c,), generator=g).tolist() for c in comps]) for p, comps in SPEC]


def _batch(vocab):
    """Three rows: two groups in each of the first two, one group and padding in the last."""
    groups = _groups(vocab)
    batch = pack(groups, [[0, 1], [2, 3], [4]])
    assert (batch.doc_ids[2] < 0).sum() > 16  # more than a 16-token tile of padding
    return batch


def test_block_mask_function_equals_dense_mask():
    """The block mask's mask function, evaluated at every (row, query, key) as FlexAttention
    evaluates it (vmapped), is the dense mask SDPA gets, padding rows included; and the block
    mask itself skips no tile that holds an allowed pair."""
    from torch.nn.attention.flex_attention import create_mask

    batch = _batch(500)
    rows, length = batch.input_ids.shape
    dense = dense_mask(batch.doc_ids, batch.segment_ids)
    assert dense.shape == (rows, 1, length, length)
    mask = block_mask(batch.doc_ids, batch.segment_ids)
    assert torch.equal(create_mask(mask.mask_mod, rows, 1, length, length, device="cpu"), dense)
    assert torch.equal(batch.attention_mask, dense)
    # Tiles the block mask marks empty are empty in the dense mask.
    size = mask.BLOCK_SIZE[0]
    tiles = mask.to_dense()[:, 0].bool()  # [rows, q tiles, k tiles]
    for r in range(rows):
        for qt in range(tiles.shape[1]):
            for kt in range(tiles.shape[2]):
                if not tiles[r, qt, kt]:
                    assert not dense[r, 0, qt * size:(qt + 1) * size, kt * size:(kt + 1) * size].any()


@pytest.fixture()
def eager_flex(monkeypatch):
    """transformers' FlexAttention path, with the kernel run eagerly instead of compiled."""
    import transformers.integrations.flex_attention as hf_flex
    from torch.nn.attention.flex_attention import flex_attention

    monkeypatch.setattr(hf_flex, "compile_friendly_flex_attention",
                        lambda *args, training=False, **kwargs: flex_attention(*args, **kwargs))


def test_flex_and_sdpa_give_the_same_logprobs(tiny, eager_flex):
    """Forward only: FlexAttention has no backward on a CPU (torch 2.13 refuses it), so its
    gradients are checked only where CUDA is present."""
    flex_model = copy.deepcopy(tiny.model).eval()
    flex_model.set_attn_implementation("flex_attention")
    assert uses_flex(flex_model.get_decoder()) and not uses_flex(tiny.model.get_decoder())
    batch = _batch(tiny.model.config.vocab_size)
    with torch.no_grad():
        tok_s, seq_s = completion_logprobs(tiny.model.eval(), batch)
        tok_f, seq_f = completion_logprobs(flex_model, batch)
    assert seq_s.shape == (9,) and seq_s.isfinite().all()
    torch.testing.assert_close(tok_f, tok_s, atol=1e-5, rtol=0)
    torch.testing.assert_close(seq_f, seq_s, atol=1e-4, rtol=0)


def test_flex_only_where_cuda_is_present(tiny, monkeypatch):
    model = copy.deepcopy(tiny.model)
    assert use_flex_attention(model) is None and not uses_flex(model)  # this machine: a CPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert use_flex_attention(model) == "sdpa" and uses_flex(model)
    assert use_flex_attention(model) is None  # already on FlexAttention
