"""Prompt-shared packed sequences score exactly what separate sequences do."""

import torch

from medtune.train.losses import IGNORE, token_logprobs
from medtune.train.packing import Group, completion_logprobs, pack, plan_rows


def _random_groups(vocab, spec, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        Group(torch.randint(3, vocab, (p,), generator=g).tolist(),
              [torch.randint(3, vocab, (c,), generator=g).tolist() for c in comps])
        for p, comps in spec
    ]


def _separate(model, group):
    """Reference: each completion alone after its prompt, full logits, ordinary causal mask."""
    out = []
    for comp in group.completions:
        ids = torch.tensor([group.prompt + comp])
        labels = torch.tensor([[IGNORE] * len(group.prompt) + comp])
        with torch.no_grad():
            logits = model(input_ids=ids).logits
        lp, _ = token_logprobs(logits, labels)
        out.append(lp.sum().item())
    return out


def test_shared_prompt_equals_separate(tiny):
    model = tiny.model.eval()
    groups = _random_groups(model.config.vocab_size, [(20, [3, 5]), (7, [1, 2, 6]), (31, [4])])
    expected = torch.tensor([x for g in groups for x in _separate(model, g)])
    with torch.no_grad():
        _, one_per_row = completion_logprobs(model, pack(groups))
        _, packed = completion_logprobs(model, pack(groups, plan_rows(groups, 64)))
    torch.testing.assert_close(one_per_row, expected, atol=1e-4, rtol=0)
    torch.testing.assert_close(packed, expected, atol=1e-4, rtol=0)


def test_plan_rows_respects_budget_and_order():
    groups = _random_groups(50, [(10, [2]), (10, [2]), (30, [5]), (3, [1])])
    rows = plan_rows(groups, 30)
    assert rows == [[0, 1, 3], [2]]
    assert plan_rows(groups, 1) == [[0], [1], [2], [3]]  # oversize groups get a row each


def test_plan_rows_balances_rows():
    """Six 10-token groups, budget 40: two rows are needed; 3 + 3 groups (30 tokens each), not
    4 + 2 (the longest row 40, 10 tokens of padding in the other)."""
    groups = _random_groups(50, [(8, [2])] * 6)
    assert plan_rows(groups, 40) == [[0, 2, 4], [1, 3, 5]]
    lengths = [37, 5, 22, 18, 9, 30, 14, 25]
    groups = _random_groups(50, [(n - 1, [1]) for n in lengths])
    rows = plan_rows(groups, 64)
    assert sorted(i for r in rows for i in r) == list(range(8))
    row_lengths = [sum(lengths[i] for i in r) for r in rows]
    assert len(rows) == 3 and max(row_lengths) <= 64 and max(row_lengths) - min(row_lengths) <= 9


def test_pack_layout():
    """Prompt [5,6], completions [7] and [8,9]: positions restart after the prompt, the second
    completion cannot see the first, and each first token is predicted from the last prompt
    position (index 1)."""
    batch = pack([Group([5, 6], [[7], [8, 9]])])
    assert batch.input_ids.tolist() == [[5, 6, 7, 8, 9]]
    assert batch.position_ids.tolist() == [[0, 1, 2, 2, 3]]
    mask = batch.attention_mask[0, 0]
    assert mask[3].tolist() == [True, True, False, True, False]  # token 8 sees prompt + itself
    assert mask[4].tolist() == [True, True, False, True, True]
    assert batch.score_pos.tolist() == [1, 1, 3]
    assert batch.score_token.tolist() == [7, 8, 9]
    assert batch.score_seq.tolist() == [0, 1, 1]
    assert batch.n_seqs == 2 and batch.n_tokens == 5


def test_padding_rows_do_not_change_scores(tiny):
    model = tiny.model.eval()
    groups = _random_groups(model.config.vocab_size, [(4, [2]), (25, [3])])
    with torch.no_grad():
        _, both = completion_logprobs(model, pack(groups))
        _, alone = completion_logprobs(model, pack(groups[:1]))
    assert not torch.isnan(both).any()
    torch.testing.assert_close(both[:1], alone, atol=1e-4, rtol=0)
