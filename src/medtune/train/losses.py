"""Training losses as pure functions on tensors.

Conventions: ``logits`` are [batch, seq, vocab]; ``labels`` are [batch, seq] token ids with
-100 on positions that are not scored (prompt, padding). Labels are aligned with the inputs
(label t is the token at position t), the shift happens here: logits at t predict token t+1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE = -100


def token_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-position log-probability of the next token, and the mask of scored positions.

    Returns (logps [batch, seq-1], mask [batch, seq-1] bool); logps are 0 where unmasked.
    Log-probs in nats."""
    logits = logits[:, :-1, :]
    targets = labels[:, 1:]
    mask = targets != IGNORE
    safe = targets.masked_fill(~mask, 0)
    logps = torch.log_softmax(logits.float(), dim=-1).gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    return logps * mask, mask


def sequence_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum over completion tokens of log p(token | prefix), one value per row (nats)."""
    logps, _ = token_logprobs(logits, labels)
    return logps.sum(-1)


def sft_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood per completion token over the batch (nats/token).

    Averaged over all scored tokens of the batch (not per row), as SFT in TRL and
    transformers does, so long answers weigh by their length."""
    logits = logits[:, :-1, :]
    targets = labels[:, 1:]
    return F.cross_entropy(
        logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1), ignore_index=IGNORE
    )


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The sigmoid DPO loss (Rafailov et al. 2023, eq. 7), averaged over pairs.

    Inputs are summed completion log-probs per pair (nats), [batch]. With
    h = beta * ((pi_c - ref_c) - (pi_r - ref_r)), loss = -log sigmoid(h).
    Also returns the implicit rewards beta * (pi - ref) and the preference accuracy."""
    chosen_reward = beta * (policy_chosen - ref_chosen)
    rejected_reward = beta * (policy_rejected - ref_rejected)
    margin = chosen_reward - rejected_reward
    loss = -F.logsigmoid(margin).mean()
    stats = {
        "reward_chosen": chosen_reward.detach().mean(),
        "reward_rejected": rejected_reward.detach().mean(),
        "reward_margin": margin.detach().mean(),
        "reward_accuracy": (margin.detach() > 0).float().mean(),
    }
    return loss, stats
