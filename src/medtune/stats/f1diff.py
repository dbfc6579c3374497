"""F1 of one classification endpoint, and the paired difference in F1 between two models
scored on the same examples: the effect, its seeded paired bootstrap interval and a seeded
paired approximate-randomization (permutation) test of that same difference.

F1 as the paper reports it: the positive class's F1 for a two-label endpoint (UTI yes/no, each
triage axis), the macro-F1 (unweighted mean of the per-class F1s) for an endpoint with more
labels (hyponatremia's categories). A prediction that is not one of the labels (None, a parse
failure) is never a positive call: for macro-F1 it is a false negative of the gold class and
a false positive of no class, as sklearn's ``f1_score(labels=..., average="macro",
zero_division=0)`` counts it.

The permutation test: under the null hypothesis that the two models are exchangeable, the two
predictions of each example may be swapped. An example on which both predicted the same label
is unchanged by a swap, so only the k examples where the predictions differ are randomized.
With k <= EXACT_MAX every one of the 2^k swap patterns is enumerated (an exact p); otherwise
``n_perm`` random patterns are drawn and p = (1 + hits) / (1 + n_perm) (Phipson & Smyth 2010),
never 0. Two-sided: a pattern is a hit when |F1 difference| >= the observed one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXACT_MAX = 14          # 2^14 = 16384 patterns: exact and still cheap
_CHUNK = 2048           # rows per vectorized block (bounds memory at R x n)
_TIE = 1e-12            # |T*| >= |T| up to float rounding of equal counts
TOO_FEW = "too few items to test"


@dataclass(frozen=True)
class DifferenceTest:
    """n: paired examples; effect: F1(b) - F1(a); ci95: percentile bootstrap interval of the
    effect; se: bootstrap standard deviation of the effect (for the minimum detectable effect);
    discordant: examples where the two predictions differ; p: two-sided permutation p, None
    when the data cannot be tested (``note`` says why); p_min: the smallest p this test could
    give on these data; method: "exact" or "monte carlo"."""

    n: int
    effect: float
    ci95: tuple[float, float]
    se: float
    discordant: int
    p: float | None
    p_min: float
    method: str
    resamples: int
    note: str | None = None


def f1_average(labels: Sequence[str]) -> str:
    """"binary" (positive-class F1) for two labels, "macro" for more."""
    return "binary" if len(labels) == 2 else "macro"


def encode(values: Sequence, labels: Sequence[str]) -> np.ndarray:
    """Labels -> their index in ``labels``; anything else (None, an unknown label) -> -1."""
    index = {lab: i for i, lab in enumerate(labels)}
    return np.array([index.get(v, -1) if v is not None else -1 for v in values], dtype=np.int64)


def f1_rows(gold: np.ndarray, pred: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """Mean over ``classes`` of one-vs-rest F1 = 2TP / (predicted + gold positives), 0 where
    that is 0/0, for every row of the (R, n) code arrays (a 1-D array is one row)."""
    gold, pred = np.atleast_2d(gold), np.atleast_2d(pred)
    total = np.zeros(pred.shape[0])
    for k in classes:
        g, p = gold == k, pred == k
        tp = np.sum(g & p, axis=1)
        den = np.sum(g, axis=1) + np.sum(p, axis=1)
        total += np.divide(2.0 * tp, den, out=np.zeros(den.shape), where=den > 0)
    return total / len(classes)


def classes_for(labels: Sequence[str], positive: str) -> list[int]:
    """The label indices F1 averages over: the positive one, or all (macro)."""
    return [list(labels).index(positive)] if f1_average(labels) == "binary" else list(range(len(labels)))


def endpoint_f1(gold: Sequence, pred: Sequence, labels: Sequence[str], positive: str) -> float:
    """The headline F1 of one endpoint (see the module docstring)."""
    return float(f1_rows(encode(gold, labels), encode(pred, labels), classes_for(labels, positive))[0])


def needed_resamples(threshold: float, minimum: int = 9999) -> int:
    """Random permutations so the smallest attainable p, 1 / (R + 1), is a twentieth of the
    family's per-comparison threshold (e.g. alpha .05 over 9 comparisons: R >= 3600)."""
    return max(minimum, math.ceil(20.0 / threshold) - 1)


def paired_f1_difference(
    gold: Sequence, pred_a: Sequence, pred_b: Sequence, labels: Sequence[str], positive: str, *,
    n_boot: int = 1000, n_perm: int = 9999, seed: int = 0, alpha: float = 0.05,
) -> DifferenceTest:
    """F1(b) - F1(a) on the same examples, its bootstrap interval and permutation p.

    Too few items to test (p None): no example where the predictions differ, or so few that
    even the most extreme swap pattern could not reach ``alpha`` (2 / 2^k >= alpha; k <= 5 at
    .05). Deterministic for a given seed.
    """
    g, a, b = encode(gold, labels), encode(pred_a, labels), encode(pred_b, labels)
    if not (g.shape == a.shape == b.shape) or g.size == 0:
        raise ValueError(f"paired F1 needs equal, non-empty lengths, got {g.size}, {a.size}, {b.size}")
    if np.any(g < 0):
        raise ValueError("gold labels must all be among the endpoint's labels")
    classes = classes_for(labels, positive)
    effect = float(f1_rows(g, b, classes)[0] - f1_rows(g, a, classes)[0])
    rng = np.random.default_rng(seed)
    boot = _bootstrap(g, a, b, classes, n_boot, rng)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    common = dict(n=int(g.size), effect=effect, ci95=(float(lo), float(hi)), se=float(boot.std(ddof=1)))

    diff = np.flatnonzero(a != b)
    k = int(diff.size)
    p_min = 1.0 if k == 0 else max(2.0 ** (1 - k), 1.0 / (n_perm + 1) if k > EXACT_MAX else 0.0)
    method = "exact" if k <= EXACT_MAX else "monte carlo"
    resamples = 2 ** k if k <= EXACT_MAX else n_perm
    if k == 0 or p_min >= alpha:
        return DifferenceTest(**common, discordant=k, p=None, p_min=p_min, method=method,
                              resamples=resamples, note=TOO_FEW)
    observed = abs(effect)
    hits = 0
    for swaps in _swap_blocks(k, n_perm, rng):
        xa, xb = np.broadcast_to(a, (len(swaps), a.size)).copy(), np.broadcast_to(b, (len(swaps), b.size)).copy()
        xa[:, diff] = np.where(swaps, b[diff], a[diff])
        xb[:, diff] = np.where(swaps, a[diff], b[diff])
        t = f1_rows(np.broadcast_to(g, xa.shape), xb, classes) - f1_rows(np.broadcast_to(g, xa.shape), xa, classes)
        hits += int(np.sum(np.abs(t) >= observed - _TIE))
    p = hits / resamples if k <= EXACT_MAX else (1 + hits) / (1 + n_perm)
    return DifferenceTest(**common, discordant=k, p=min(1.0, p), p_min=p_min, method=method,
                          resamples=resamples)


def _bootstrap(g, a, b, classes, n_boot: int, rng) -> np.ndarray:
    """n_boot paired resamples of the F1 difference (the same example indices for a and b)."""
    out = np.empty(n_boot)
    for start in range(0, n_boot, _CHUNK):
        rows = min(_CHUNK, n_boot - start)
        idx = rng.integers(0, g.size, size=(rows, g.size))
        out[start:start + rows] = f1_rows(g[idx], b[idx], classes) - f1_rows(g[idx], a[idx], classes)
    return out


def _swap_blocks(k: int, n_perm: int, rng):
    """(rows, k) boolean swap patterns: all 2^k when k <= EXACT_MAX, else n_perm at random."""
    if k <= EXACT_MAX:
        codes = np.arange(2 ** k, dtype=np.int64)
        for start in range(0, codes.size, _CHUNK):
            block = codes[start:start + _CHUNK, None]
            yield ((block >> np.arange(k)) & 1).astype(bool)
        return
    for start in range(0, n_perm, _CHUNK):
        yield rng.random((min(_CHUNK, n_perm - start), k)) < 0.5
