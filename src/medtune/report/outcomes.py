"""results.json entries for open-ended tasks, from the per-example outcomes the study stored
(``scores`` of each test prediction: evaluate/scoring.py).

Per variant and outcome: the mean with a 95% interval (Wilson for a 0/1 outcome such as
reasoning accuracy, percentile bootstrap of the mean for a continuous score such as key-fact
coverage or ROUGE-L) and ``n``, the examples that have the outcome. Per pair of variants and
outcome: exact McNemar for 0/1 outcomes; for continuous ones the two-tailed paired t-test
(the paper's test for its Likert scores, the comparison the recommendation reads) and the
Wilcoxon signed-rank test as a rank-based check, marked ``"secondary": true``. Both are in
``comparisons[]`` and corrected with every other p-value of the study. Pairs are matched by
example id, on the examples both variants have the outcome for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medtune.report.effects import paired_tests
from medtune.stats import bootstrap_interval, wilson_interval
from medtune.tasks.base import Outcome, Task


def _values(rows: list[dict[str, Any]], outcome: str) -> dict[str, float]:
    """{example id: value} for the rows that have this outcome."""
    return {r["example_id"]: float(r["scores"][outcome]) for r in rows
            if (r.get("scores") or {}).get(outcome) is not None}


def _summary(outcome: Outcome, values: np.ndarray, n_boot: int, seed: int) -> dict[str, Any]:
    n = int(values.size)
    if n == 0:
        return {"value": None, "ci95": None, "n": 0}
    mean = float(values.mean())
    if outcome.kind == "binary":
        ci = wilson_interval(int(values.sum()), n)
    else:
        ci = bootstrap_interval(np.mean, values, n_boot=n_boot, seed=seed)
    return {"value": mean, "ci95": list(ci), "n": n}


def variant_summary(task: Task, rows: list[dict[str, Any]], n_boot: int, seed: int) -> dict[str, Any]:
    """One variant's entry: ``value``/``ci95`` of the primary outcome, every outcome's mean as
    a top-level key, ``per_endpoint`` (one endpoint per outcome), the share of empty answers
    and the mean answer length in words (a long summary can cover facts by copying)."""
    per = {o.name: _summary(o, np.array(list(_values(rows, o.name).values())), n_boot, seed)
           for o in task.outcomes}
    primary = per[task.metric]
    words = [len(r["text"].split()) for r in rows]
    return {
        "value": primary["value"],
        "ci95": primary["ci95"],
        **{name: s["value"] for name, s in per.items()},
        "empty_answer_rate": sum(not r["text"].strip() for r in rows) / len(rows) if rows else 0.0,
        "mean_answer_words": float(np.mean(words)) if words else 0.0,
        "per_endpoint": per,
    }


def comparisons(task: Task, a: str, b: str, rows_a: list[dict[str, Any]],
                rows_b: list[dict[str, Any]], alpha: float = 0.05) -> list[dict[str, Any]]:
    """The paired tests of variant b against variant a, per outcome (p not yet adjusted).
    ``effect``/``mean_diff`` is b - a; McNemar's ``a_only``/``b_only`` count the examples only
    a / only b got right. Only the primary outcome's test (``task.metric``) decides; the other
    outcomes' tests and Wilcoxon's are ``secondary``."""
    out = []
    for o in task.outcomes:
        found = paired_tests(o.kind, _values(rows_a, o.name), _values(rows_b, o.name),
                             {"a": a, "b": b, "endpoint": o.name}, alpha)
        if o.name != task.metric:
            for c in found:
                c["secondary"] = True
        out += found
    return out
