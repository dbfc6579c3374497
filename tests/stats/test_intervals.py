"""Intervals: Wilson against hand numbers and statsmodels, bootstrap against hand-worked
degenerate cases and scipy.stats.bootstrap, the t interval of a mean against hand numbers and
statsmodels."""

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from medtune.evaluate.metrics import f1
from medtune.stats.intervals import bootstrap_interval, mean_interval, wilson_interval


def test_wilson_hand_worked():
    """k=8, n=10, z=1.959964, z^2=3.841459: denom = 1 + z^2/10 = 1.384146,
    center = (0.8 + z^2/20) / denom = 0.992073/1.384146 = 0.716740,
    half = z*sqrt(0.8*0.2/10 + z^2/400)/denom = 1.959964*0.160011/1.384146 = 0.226576,
    so (0.49016, 0.94332)."""
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.49016, abs=1e-5)
    assert hi == pytest.approx(0.94332, abs=1e-5)


def test_wilson_edges():
    """n=0: no information. k=0: lower end exactly 0; k=n: upper end exactly 1."""
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="level"):
        wilson_interval(1, 10, level=95)


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_wilson_against_statsmodels(level):
    for n in (1, 5, 17, 200, 410):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            ref = proportion_confint(k, n, alpha=1 - level, method="wilson")
            assert wilson_interval(k, n, level) == pytest.approx(ref, abs=1e-12)


def _mean(a):
    return float(np.mean(a))


def test_bootstrap_single_example():
    """n=1: every resample is the one example, so the interval is a point."""
    assert bootstrap_interval(_mean, [0.7], n_boot=50) == (0.7, 0.7)


def test_bootstrap_two_points_hand_worked():
    """Data [0, 1]: a resample's mean is 0 (prob 1/4), 0.5 (1/2) or 1 (1/4).
    95%: the 2.5% and 97.5% quantiles fall in the 0 and 1 masses -> (0, 1).
    40%: the 30% and 70% quantiles both fall in the 0.5 mass (0.25..0.75) -> (0.5, 0.5)."""
    assert bootstrap_interval(_mean, [0.0, 1.0], n_boot=4000) == (0.0, 1.0)
    assert bootstrap_interval(_mean, [0.0, 1.0], n_boot=4000, level=0.4) == (0.5, 0.5)


def test_bootstrap_resamples_jointly():
    """y = x + 1 per example: with shared indices mean(y - x) is exactly 1 on every resample;
    drawing indices per array would spread it."""
    x = np.random.default_rng(5).normal(size=50)
    assert bootstrap_interval(lambda a, b: _mean(b - a), x, x + 1, n_boot=200) == pytest.approx((1.0, 1.0))


def test_bootstrap_deterministic_by_seed():
    x = np.random.default_rng(6).normal(size=40)
    a = bootstrap_interval(_mean, x, n_boot=300, seed=1)
    assert a == bootstrap_interval(_mean, x, n_boot=300, seed=1)
    assert a != bootstrap_interval(_mean, x, n_boot=300, seed=2)


def test_bootstrap_f1_on_object_labels_with_none():
    rng = np.random.default_rng(7)
    t = rng.choice(np.array(["yes", "no"], dtype=object), size=120)
    p = t.copy()
    flip = rng.random(120) < 0.25
    p[flip] = np.where(t[flip] == "yes", "no", "yes")
    p[rng.random(120) < 0.05] = None
    point = f1(t, p, "yes")
    lo, hi = bootstrap_interval(lambda a, b: f1(a, b, "yes"), t, p.tolist(), n_boot=500)
    assert 0.0 <= lo < point < hi <= 1.0


def test_bootstrap_against_scipy_percentile():
    """Same method (paired percentile bootstrap), different random draws: the ends agree to
    Monte Carlo error (about 0.005 here with 5000 resamples; standard error of the mean 0.07)."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=200)
    y = x + rng.normal(0.3, 1.0, size=200)

    def stat(a, b):
        return float(np.mean(b - a))

    ref = sps.bootstrap((x, y), stat, paired=True, vectorized=False, n_resamples=5000,
                        method="percentile", confidence_level=0.9, rng=np.random.default_rng(0))
    lo, hi = bootstrap_interval(stat, x, y, n_boot=5000, level=0.9)
    assert lo == pytest.approx(ref.confidence_interval.low, abs=0.02)
    assert hi == pytest.approx(ref.confidence_interval.high, abs=0.02)
    # and both match the normal-theory interval for a mean of ~N(0.3, 1) differences
    se = np.std(y - x, ddof=1) / math.sqrt(200)
    assert hi - lo == pytest.approx(2 * 1.6449 * se, rel=0.1)


def test_bootstrap_bad_input():
    with pytest.raises(ValueError, match="same length"):
        bootstrap_interval(_mean, [1, 2], [1])
    with pytest.raises(ValueError, match="non-finite"):
        bootstrap_interval(lambda a: float("nan"), [1, 2], n_boot=5)


def test_mean_interval_hand_worked():
    """Likert scores 1..5: mean 3, s = sqrt(10/4) = 1.581139, s/sqrt(5) = 0.707107,
    t(.975, 4 df) = 2.776445, half width 1.963243, so (1.036757, 4.963243)."""
    lo, hi = mean_interval([1, 2, 3, 4, 5])
    assert lo == pytest.approx(1.036757, abs=1e-6)
    assert hi == pytest.approx(4.963243, abs=1e-6)
    assert mean_interval([4]) is None  # one score: no spread to estimate
    assert mean_interval([4, 4, 4]) == (4.0, 4.0)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_mean_interval_against_statsmodels(level):
    from statsmodels.stats.weightstats import DescrStatsW

    rng = np.random.default_rng(3)
    for n in (2, 7, 60):
        x = rng.integers(1, 6, n).astype(float)
        ref = DescrStatsW(x).tconfint_mean(alpha=1 - level)
        assert mean_interval(x, level) == pytest.approx(ref, abs=1e-12)
