"""Losses against numbers worked out by hand."""

import math

import pytest
import torch

from medtune.train.losses import IGNORE, dpo_loss, sequence_logprobs, sft_loss, token_logprobs


def test_sft_loss_hand_worked():
    """Vocabulary of 2, logits all zero: every next-token probability is 1/2, so the NLL of
    each scored token is log 2, and the mean over the scored tokens is log 2 whatever their
    number. Prompt positions (label -100) do not count."""
    logits = torch.zeros(1, 4, 2)
    labels = torch.tensor([[IGNORE, IGNORE, 1, 0]])
    assert sft_loss(logits, labels).item() == pytest.approx(math.log(2))


def test_sft_loss_one_confident_token():
    """Logits (0, ln 3) give p(token 1) = 3/4. Labels score positions 2 and 3 (predicted from
    1 and 2). Position 1 predicts token 1: -ln(3/4); position 2 (logits zero) predicts token 0:
    ln 2. Mean = (ln(4/3) + ln 2) / 2."""
    logits = torch.zeros(1, 4, 2)
    logits[0, 1, 1] = math.log(3)
    labels = torch.tensor([[IGNORE, IGNORE, 1, 0]])
    expected = (math.log(4 / 3) + math.log(2)) / 2
    assert sft_loss(logits, labels).item() == pytest.approx(expected, abs=1e-6)
    assert sequence_logprobs(logits, labels).item() == pytest.approx(-2 * expected, abs=1e-6)
    _, mask = token_logprobs(logits, labels)
    assert mask.tolist() == [[False, True, True]]


def test_dpo_loss_hand_worked():
    """beta = 0.5; pair 1: policy (-1, -3), reference (-2, -2): h = 0.5*((−1+2) − (−3+2)) = 1,
    loss = -log sigmoid(1) = log(1 + e^-1) = 0.31326. Pair 2: policy equals reference, h = 0,
    loss = log 2. Mean = (0.31326 + 0.69315) / 2 = 0.50320."""
    pc = torch.tensor([-1.0, -5.0])
    pr = torch.tensor([-3.0, -4.0])
    rc = torch.tensor([-2.0, -5.0])
    rr = torch.tensor([-2.0, -4.0])
    loss, stats = dpo_loss(pc, pr, rc, rr, beta=0.5)
    assert loss.item() == pytest.approx((math.log1p(math.exp(-1)) + math.log(2)) / 2, abs=1e-6)
    assert stats["reward_accuracy"].item() == pytest.approx(0.5)
    assert stats["reward_chosen"].item() == pytest.approx((0.5 + 0.0) / 2)


def test_dpo_loss_gradient_pushes_chosen_up():
    pc = torch.tensor([-2.0], requires_grad=True)
    pr = torch.tensor([-2.0], requires_grad=True)
    loss, _ = dpo_loss(pc, pr, torch.tensor([-2.0]), torch.tensor([-2.0]), beta=0.1)
    loss.backward()
    # d/dpc of -log sigmoid(beta (pc - pr)) at 0 = -beta/2
    assert pc.grad.item() == pytest.approx(-0.05)
    assert pr.grad.item() == pytest.approx(0.05)
