"""Confidence intervals: Wilson for a proportion (accuracy), Student's t for a mean (Likert
scores), percentile bootstrap for anything else (F1 has no closed-form interval)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), e.g. 0.95, got {level}")


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes out of n trials (level is two-sided coverage).

    Unlike the Wald interval it stays inside [0, 1] and is sensible at k = 0 or k = n. With
    n = 0 there is no information: (0.0, 1.0).
    """
    from scipy.stats import norm

    _check_level(level)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (0.0, 1.0)
    z = float(norm.isf((1.0 - level) / 2.0))
    q, z2 = k / n, z * z
    denom = 1.0 + z2 / n
    center = (q + z2 / (2 * n)) / denom
    half = z * math.sqrt(q * (1 - q) / n + z2 / (4 * n * n)) / denom
    # the ends are exactly 0 at k = 0 and 1 at k = n; set them so rounding cannot leak
    lo = 0.0 if k == 0 else max(0.0, center - half)
    hi = 1.0 if k == n else min(1.0, center + half)
    return (lo, hi)


def mean_interval(values, level: float = 0.95) -> tuple[float, float] | None:
    """Student's t interval for the mean: mean +- t(1 - (1 - level) / 2, n - 1) * s / sqrt(n),
    s the sample standard deviation (ddof 1). None with fewer than 2 values (no spread to
    estimate); (mean, mean) when every value is the same.
    """
    from scipy.stats import t

    _check_level(level)
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"values must be a flat list, got shape {x.shape}")
    if x.size < 2:
        return None
    mean = float(x.mean())
    half = float(t.isf((1.0 - level) / 2.0, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return (mean - half, mean + half)


def bootstrap_interval(
    statistic: Callable[..., float],
    *arrays,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic(*arrays)`.

    Each of the `n_boot` resamples draws n example indices with replacement and applies the
    same indices to every array (axis 0), so per-example pairs (gold, prediction) stay
    together. Arrays may be object arrays (labels as strings, None for parse failures).
    Deterministic for a given seed (numpy Generator). `statistic` must return a finite float
    on every resample.
    """
    _check_level(level)
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not arrays:
        raise ValueError("bootstrap_interval needs at least one array")
    data = [_as_array(a) for a in arrays]
    n = len(data[0])
    if n == 0 or any(len(a) != n for a in data):
        raise ValueError(f"arrays must be non-empty and the same length, got {[len(a) for a in data]}")

    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, n, size=n)
        values[i] = statistic(*(a[idx] for a in data))
    if not np.all(np.isfinite(values)):
        raise ValueError("statistic returned a non-finite value on a bootstrap resample")
    alpha = 1.0 - level
    lo, hi = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


def _as_array(a) -> np.ndarray:
    if isinstance(a, np.ndarray):
        return a
    try:
        arr = np.asarray(a)
    except ValueError:  # ragged nested items
        arr = None
    if arr is not None and arr.ndim == 1:
        return arr
    # nested items (e.g. per-example tuple labels): keep one object per example
    out = np.empty(len(a), dtype=object)
    for i, item in enumerate(a):
        out[i] = item
    return out
