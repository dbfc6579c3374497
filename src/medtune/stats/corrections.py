"""Multiple-comparison corrections for a family of p-values.

The paper corrects over its 5 tasks with Bonferroni (alpha .05 -> p < .01); Holm controls the
same family-wise error rate and is never less powerful.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METHODS = ("bonferroni", "holm")


def adjust_pvalues(pvalues: Sequence[float], method: str) -> list[float]:
    """Adjusted p-values, in the input order, capped at 1.0.

    bonferroni: min(1, m * p). holm: sort ascending, multiply the i-th smallest (i from 0)
    by m - i, take the running maximum so the order is kept, cap at 1. Compare each adjusted
    p with the unadjusted alpha.
    """
    if method not in METHODS:
        raise ValueError(f"unknown p-value correction {method!r}; allowed: {', '.join(METHODS)}")
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be a flat list, got shape {p.shape}")
    if np.any(~((p >= 0) & (p <= 1))):  # also catches NaN
        raise ValueError(f"p-values must lie in [0, 1], got {p.tolist()}")
    m = p.size
    if method == "bonferroni":
        return np.minimum(p * m, 1.0).tolist()
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted.tolist()
