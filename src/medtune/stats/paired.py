"""Paired tests between two models scored on the same test examples.

McNemar for per-example binary outcomes (correct / wrong), the two-tailed paired t-test for
Likert scores (the paper's protocol), and the Wilcoxon signed-rank test as its rank-based
alternative for ordinal scores. All p-values are two-sided.

Degenerate data is never "significant": differences that are all equal (no spread, so the t
statistic is +-inf or 0/0), all ties, or fewer pairs than the test needs give p None and
``note`` "too few items to test" instead of scipy's limit p = 0 or a meaningless p = 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class McNemarResult:
    """n: pairs; a_only: pairs where only A is correct; b_only: only B; p: two-sided."""

    n: int
    a_only: int
    b_only: int
    p: float


@dataclass(frozen=True)
class PairedResult:
    """n: pairs; mean_diff: mean of x - y (units of the scores); statistic: the test's
    statistic (t, or Wilcoxon's W); p: two-sided."""

    n: int
    mean_diff: float
    statistic: float
    p: float | None
    note: str | None = None


TOO_FEW = "too few items to test"


def _paired_arrays(x: Sequence, y: Sequence, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, dtype=dtype), np.asarray(y, dtype=dtype)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"paired samples must be 1-D and the same length, got {a.shape} and {b.shape}")
    return a, b


def mcnemar_exact(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> McNemarResult:
    """Exact McNemar test: two-sided binomial test of the discordant pairs against 1/2.

    p = min(1, 2 * P(Binom(a_only + b_only, 1/2) <= min(a_only, b_only))). Concordant pairs
    carry no information about which model is better, so they only enter `n`. With no
    discordant pairs p is 1.0 (no evidence of a difference).
    """
    from scipy.stats import binom  # lazy: keep `medtune --help` fast

    a, b = _paired_arrays(correct_a, correct_b, bool)
    a_only = int(np.sum(a & ~b))
    b_only = int(np.sum(~a & b))
    discordant = a_only + b_only
    p = 1.0 if discordant == 0 else min(1.0, 2.0 * float(binom.cdf(min(a_only, b_only), discordant, 0.5)))
    return McNemarResult(n=int(a.size), a_only=a_only, b_only=b_only, p=p)


def paired_t(x: Sequence[float], y: Sequence[float]) -> PairedResult:
    """Two-tailed paired t-test of mean(x - y) = 0 (scipy.stats.ttest_rel), n - 1 df.

    Too few items to test (p None, statistic NaN): fewer than 2 pairs, or every difference
    the same (zero variance: scipy's limit would be p = 0 for constant non-zero differences,
    two graded items "significant"; 0/0 for all-zero ones).
    """
    from scipy.stats import ttest_rel

    a, b = _paired_arrays(x, y, float)
    d = a - b
    if a.size < 2 or np.all(d == d[0]):  # decided here, where scipy warns of precision loss
        return PairedResult(int(a.size), float(d.mean()) if d.size else math.nan, math.nan, None, TOO_FEW)
    res = ttest_rel(a, b)
    return PairedResult(int(a.size), float(d.mean()), float(res.statistic), float(res.pvalue))


def wilcoxon_signed_rank(x: Sequence[float], y: Sequence[float], alpha: float = 0.05) -> PairedResult:
    """Wilcoxon signed-rank test of x - y symmetric about 0 (scipy.stats.wilcoxon defaults).

    Zero differences are dropped (zero_method="wilcox"). p comes from scipy's method="auto":
    exact for <= 50 distinct non-zero differences; with ties or zeros (as Likert scores have)
    an exhaustive permutation test for <= 13 pairs (deterministic, up to ~1 s), else the
    normal approximation with tie correction. `n` counts all pairs, zeros included.
    Too few items to test (p None): no non-zero difference (all ties, nothing to rank), or
    so few that the most extreme ranking could not reach ``alpha`` (exact p >= 2 / 2^k).
    """
    from scipy.stats import wilcoxon

    a, b = _paired_arrays(x, y, float)
    d = a - b
    k = int(np.sum(d != 0))
    if k == 0 or 2.0 ** (1 - k) >= alpha:
        return PairedResult(int(a.size), float(d.mean()) if d.size else math.nan, math.nan, None, TOO_FEW)
    res = wilcoxon(a, b)
    return PairedResult(int(a.size), float(d.mean()), float(res.statistic), float(res.pvalue))
