"""Predictions -> what the study stores per example, and the primary metric of a split.

Classification: the gold and predicted labels (None: a parse failure); the primary metric is
the headline F1 of the report (positive-class F1 for two labels, macro-F1 for more:
stats/f1diff.py), averaged over the endpoints of a multi-axis task. Open-ended tasks: the gold answer text,
no predicted label, and the task's per-example outcomes in ``scores`` ({"accuracy": 1.0} or
{"coverage": 0.75, "rouge_l": 0.41}; None where an outcome cannot be computed); the primary
metric is the mean of the first outcome over the examples that have it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from medtune.data.records import Example
from medtune.stats.f1diff import endpoint_f1
from medtune.evaluate.predict import Prediction
from medtune.tasks.base import Task


def prediction_rows(task: Task, examples: Sequence[Example], preds: Sequence[Prediction]) -> list[dict[str, Any]]:
    """One row per example for ``Store.save_predictions``."""
    if task.open_ended:
        return [{"example_id": ex.id, "gold": ex.chosen, "predicted": None, "text": p.text,
                 "scores": task.score(ex, p.text)} for ex, p in zip(examples, preds)]
    # a task with neither labels nor outcomes (graded only by judges or physicians): the gold
    # answer the equivalence rubric compares with is the chosen response
    return [{"example_id": ex.id, "gold": ex.chosen if ex.label is None else ex.label,
             "predicted": p.label, "text": p.text, "scores": p.scores} for ex, p in zip(examples, preds)]


def primary_metric(task: Task, rows: Sequence[dict[str, Any]]) -> float:
    """The task's primary metric on stored prediction rows (NaN when nothing can be scored):
    the mean F1 over a classification task's endpoints, the mean of an open-ended task's
    first outcome. Computed from the rows alone, so a resumed study scores as one that never
    stopped."""
    if task.open_ended:
        values = [r["scores"][task.metric] for r in rows if r["scores"].get(task.metric) is not None]
        return sum(values) / len(values) if values else math.nan
    scores = []
    for ep in task.endpoints:
        gold = [task.label_dict(r["gold"])[ep.name] for r in rows]
        pred = [None if r["predicted"] is None else task.label_dict(r["predicted"])[ep.name] for r in rows]
        scores.append(endpoint_f1(gold, pred, ep.labels, ep.positive))
    return sum(scores) / len(scores) if scores else math.nan
