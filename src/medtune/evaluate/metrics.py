"""Classification metrics on per-example labels: pure functions, no model, no torch.

Labels are compared exactly (`==`); normalising model output into a label is the task's
parser's job. A prediction of `None` means the parser could not read a label out of the
model's answer (a parse failure).

Every metric is one-vs-rest around a `positive` label, so a multi-class task (MedQA's
options, one triage axis) can be scored for one class; `accuracy` needs no positive label.

0/0 convention (sklearn's `zero_division=0`): any metric whose denominator is zero is 0.0.
So F1 is 0.0 when there are no gold positives and no positive predictions, sensitivity is
0.0 with no gold positives, specificity is 0.0 with no gold negatives, accuracy is 0.0 on an
empty set. `n` is always reported next to the numbers so a reader can see why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Counts:
    """Confusion matrix for one positive label, in examples.

    A parse failure (prediction None) is counted as a negative call: an FN when the gold label
    is positive, a TN when it is negative. It never says "positive", so counting it as a
    negative call keeps precision honest; `accuracy` (via `correct`) still counts it as wrong,
    and `parse_failures` reports how many there were so the TN count can be read with care.
    """

    tp: int
    fp: int
    fn: int
    tn: int
    parse_failures: int = 0

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def _check(y_true: Sequence[Any], y_pred: Sequence[Any]) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    if any(t is None for t in y_true):
        raise ValueError("y_true contains None: every test example needs a gold label")


def _ratio(num: int, den: int) -> float:
    return float(num) / den if den else 0.0


def binary_counts(y_true: Sequence[Any], y_pred: Sequence[Any], positive: Any) -> Counts:
    """Confusion counts of `y_pred` against `y_true`, one-vs-rest for `positive`.

    Any label other than `positive` is negative. A None prediction is a negative call and is
    also counted in `parse_failures` (see `Counts`).
    """
    _check(y_true, y_pred)
    tp = fp = fn = tn = failures = 0
    for gold, pred in zip(y_true, y_pred):
        failures += pred is None
        called_positive = pred is not None and pred == positive
        if gold == positive:
            tp += called_positive
            fn += not called_positive
        else:
            fp += called_positive
            tn += not called_positive
    return Counts(tp=tp, fp=fp, fn=fn, tn=tn, parse_failures=failures)


def correct(y_true: Sequence[Any], y_pred: Sequence[Any]) -> np.ndarray:
    """Per-example correctness (bool array): prediction equals gold; None is always wrong.

    This is the outcome the paired tests (McNemar) compare between two models.
    """
    _check(y_true, y_pred)
    return np.array([p is not None and p == t for t, p in zip(y_true, y_pred)], dtype=bool)


def accuracy(y_true: Sequence[Any], y_pred: Sequence[Any]) -> float:
    """Fraction of examples predicted exactly right; parse failures count as wrong."""
    hits = correct(y_true, y_pred)
    return float(hits.mean()) if hits.size else 0.0


def f1(y_true: Sequence[Any], y_pred: Sequence[Any], positive: Any) -> float:
    """F1 of the positive label: 2TP / (2TP + FP + FN), 0.0 when that is 0/0."""
    c = binary_counts(y_true, y_pred, positive)
    return _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn)


def sensitivity(y_true: Sequence[Any], y_pred: Sequence[Any], positive: Any) -> float:
    """Recall of the positive label: TP / (TP + FN), 0.0 with no gold positives."""
    c = binary_counts(y_true, y_pred, positive)
    return _ratio(c.tp, c.tp + c.fn)


def specificity(y_true: Sequence[Any], y_pred: Sequence[Any], positive: Any) -> float:
    """TN / (TN + FP), 0.0 with no gold negatives. A parse failure on a gold negative is a TN."""
    c = binary_counts(y_true, y_pred, positive)
    return _ratio(c.tn, c.tn + c.fp)


def classification_metrics(
    y_true: Sequence[Any], y_pred: Sequence[Any], positive: Any
) -> dict[str, float | int]:
    """All classification metrics at once: f1, accuracy, sensitivity, specificity (floats in
    [0, 1]), n (examples) and parse_failures (None predictions)."""
    c = binary_counts(y_true, y_pred, positive)
    return {
        "f1": _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
        "accuracy": accuracy(y_true, y_pred),
        "sensitivity": _ratio(c.tp, c.tp + c.fn),
        "specificity": _ratio(c.tn, c.tn + c.fp),
        "n": c.n,
        "parse_failures": c.parse_failures,
    }
