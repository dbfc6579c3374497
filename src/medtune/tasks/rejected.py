"""Rejected-response strategies for DPO: how a less-preferred answer is made when the data
has none. ``wrong_label`` is the paper's for classification and triage: the answer of a
randomly chosen *other* label (for a multi-axis task, any other combination, so at least one
axis is wrong)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from medtune.data.records import Example
from medtune.tasks.base import Task

STRATEGIES = ("wrong_label",)


def wrong_label(example: Example, task: Task, rng: random.Random) -> str:
    gold = task.label_dict(example.label)
    others = [answer for label, answer in task.candidates() if task.label_dict(label) != gold]
    if not others:
        raise ValueError(f"task {task.name} has a single label; wrong_label cannot make a rejected answer")
    return rng.choice(others)


def fill_rejected(
    examples: Sequence[Example], task: Task, strategy: str = "wrong_label", seed: int = 0
) -> list[Example]:
    """Examples with ``rejected`` filled where it is missing (present ones are kept).
    Deterministic: the choice for an example depends on the seed and its id only."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown rejected strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    out = []
    for ex in examples:
        if ex.rejected:
            out.append(ex)
            continue
        rng = random.Random(f"{seed}:{ex.id}")
        out.append(ex.model_copy(update={"rejected": wrong_label(ex, task, rng)}))
    return out
