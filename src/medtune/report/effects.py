"""Comparison entries of results.json for McNemar and the paired t-test, each with its effect
(b - a in the metric's units), an interval of that effect and its standard error, so every
comparison reads the same way (report/verdicts.py). Shared by classification, open-ended and
graded tasks; ``paired_tests`` is the one place that pairs two variants' per-example values
and picks the test (open-ended outcomes: report/outcomes.py; graders: report/graded.py)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from medtune.stats import mcnemar_exact, mean_interval, paired_t, wilcoxon_signed_rank
from medtune.stats.f1diff import TOO_FEW


def mcnemar_entry(m, base: dict[str, Any], alpha: float, primary: bool) -> dict[str, Any]:
    """A McNemar comparison: the accuracy difference b - a = (b_only - a_only) / n as its
    effect, with a Wald interval for a paired difference of proportions,
    (b_only - a_only)/n +- 1.96 sqrt((b_only + a_only)/n - effect^2) / sqrt(n) (Agresti,
    Categorical Data Analysis, 10.1). Too few items to test when even the most one-sided split
    of the discordant pairs could not reach alpha (2 / 2^d >= alpha)."""
    d = m.a_only + m.b_only
    effect = (m.b_only - m.a_only) / m.n if m.n else 0.0
    half = 1.959963984540054 * np.sqrt(max(d / m.n - effect ** 2, 0.0) / m.n) if m.n else 0.0
    p_min = min(1.0, 2.0 ** (1 - d)) if d else 1.0
    entry = {**base, "test": "mcnemar_exact", "primary": primary, "n": m.n, "a_only": m.a_only,
             "b_only": m.b_only, "effect": effect, "effect_ci95": [effect - half, effect + half],
             "effect_se": float(np.sqrt(d) / m.n) if m.n else None, "p": m.p, "p_min": p_min}
    if not primary:
        entry["secondary"] = True
    if p_min >= alpha:
        entry.update(p=None, note=TOO_FEW)
    return entry


def finite(x: float | None) -> float | None:
    """JSON has no NaN or infinity: an undefined number is null."""
    return None if x is None or not math.isfinite(x) else float(x)


def t_entries(xb: Sequence[float], xa: Sequence[float], base: dict[str, Any], alpha: float) -> list[dict[str, Any]]:
    """The paired t-test of b - a (effect: the mean difference, Student's t interval of it,
    ``sd_diff`` for the minimum detectable effect) and Wilcoxon's signed-rank test as a
    secondary, rank-based check."""
    xb, xa = np.asarray(xb, dtype=float), np.asarray(xa, dtype=float)
    d = xb - xa
    t, w = paired_t(xb, xa), wilcoxon_signed_rank(xb, xa, alpha=alpha)
    ci = mean_interval(d) if d.size >= 2 else None
    sd = float(d.std(ddof=1)) if d.size >= 2 else None
    out = []
    for name, res, extra in (("paired_t", t, {}), ("wilcoxon_signed_rank", w, {"secondary": True})):
        out.append({**base, "test": name, "mean_diff": finite(res.mean_diff), "effect": finite(res.mean_diff),
                    "effect_ci95": None if ci is None else [finite(ci[0]), finite(ci[1])],
                    "effect_se": None if sd is None else sd / math.sqrt(d.size), "sd_diff": sd,
                    "statistic": finite(res.statistic), "p": res.p,
                    **({"note": res.note} if res.note else {}), **extra})
    return out


def paired_tests(kind: str, a_values: Mapping[str, float], b_values: Mapping[str, float],
                 base: dict[str, Any], alpha: float) -> list[dict[str, Any]]:
    """The paired tests of b against a on the example ids both have a value for, in
    ``a_values``' order: exact McNemar for a 0/1 outcome (``kind`` "binary"), else the paired
    t-test and Wilcoxon's as its rank-based check (``t_entries``)."""
    ids = [i for i in a_values if i in b_values]
    xa = np.array([a_values[i] for i in ids], dtype=float)
    xb = np.array([b_values[i] for i in ids], dtype=float)
    base = {**base, "n": len(ids)}
    if kind == "binary":
        return [mcnemar_entry(mcnemar_exact(xa == 1, xb == 1), base, alpha, primary=True)]
    return t_entries(xb, xa, base, alpha)
