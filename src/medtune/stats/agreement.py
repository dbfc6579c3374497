"""Agreement between two raters on the same items: percent agreement and Cohen's kappa.

Pure functions on paired lists of ratings. Weighted kappa (for Likert) uses quadratic weights
on the category index, like statsmodels' ``cohens_kappa(..., wt="quadratic")``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Agreement:
    """n: items rated by both; percent: share of identical ratings (0-1); kappa: Cohen's
    kappa (NaN when undefined: every rating in one category)."""

    n: int
    percent: float
    kappa: float


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable], categories: Sequence[Hashable],
                weights: Literal["none", "linear", "quadratic"] = "none") -> float:
    """kappa = 1 - sum(W * O) / sum(W * E), O the observed joint proportions, E the outer
    product of the two raters' marginals, W the disagreement weights (0 on the diagonal;
    1 off it unweighted, |i-j|/(k-1) linear, ((i-j)/(k-1))^2 quadratic)."""
    if len(a) != len(b):
        raise ValueError(f"paired ratings must be the same length, got {len(a)} and {len(b)}")
    k = len(categories)
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    if table.sum() == 0:
        return float("nan")
    observed = table / table.sum()
    expected = np.outer(observed.sum(1), observed.sum(0))
    i, j = np.indices((k, k))
    if weights == "none":
        w = (i != j).astype(float)
    else:
        w = np.abs(i - j) / max(k - 1, 1)
        if weights == "quadratic":
            w = w**2
    denom = float((w * expected).sum())
    return float("nan") if denom == 0 else 1.0 - float((w * observed).sum()) / denom


def agreement(a: Sequence[Hashable], b: Sequence[Hashable], categories: Sequence[Hashable],
              weights: Literal["none", "linear", "quadratic"] = "none") -> Agreement:
    n = len(a)
    percent = float("nan") if n == 0 else sum(x == y for x, y in zip(a, b, strict=True)) / n
    return Agreement(n=n, percent=percent, kappa=cohen_kappa(a, b, categories, weights))


def pairwise(ratings: Mapping[str, Mapping[Hashable, Hashable | None]], categories: Sequence[Hashable],
             weights: Literal["none", "linear", "quadratic"] = "none") -> dict[str, Agreement]:
    """{"a|b": Agreement} for every pair of raters (names sorted), over the items both rated;
    ``ratings`` is {rater: {item: rating, None when the rater gave none}}."""
    out = {}
    for a, b in combinations(sorted(ratings), 2):
        ids = [i for i in ratings[a] if ratings[a][i] is not None and ratings[b].get(i) is not None]
        out[f"{a}|{b}"] = agreement([ratings[a][i] for i in ids], [ratings[b][i] for i in ids], categories, weights)
    return out
