"""Paired tests: hand-worked numbers and the statsmodels / scipy references."""

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar

from medtune.stats.paired import McNemarResult, mcnemar_exact, paired_t, wilcoxon_signed_rank


def _pairs(a_only, b_only, both=0, neither=0):
    a = [1] * a_only + [0] * b_only + [1] * both + [0] * neither
    b = [0] * a_only + [1] * b_only + [1] * both + [0] * neither
    return np.array(a, bool), np.array(b, bool)


def test_mcnemar_hand_worked():
    """Discordant b=1 (only A right), c=6 (only B right), 7 discordant:
    p = 2 * sum_{k<=1} C(7,k) / 2^7 = 2 * (1 + 7) / 128 = 0.125. Concordant pairs only add to n."""
    a, b = _pairs(1, 6, both=10, neither=3)
    assert mcnemar_exact(a, b) == McNemarResult(n=20, a_only=1, b_only=6, p=pytest.approx(0.125))


def test_mcnemar_one_sided_and_balanced():
    """b=0, c=5: p = 2 * C(5,0)/2^5 = 2/32 = 0.0625.
    b=c=3: 2 * (1+6+15+20)/64 = 84/64 > 1, capped at 1.0."""
    assert mcnemar_exact(*_pairs(0, 5)).p == pytest.approx(0.0625)
    assert mcnemar_exact(*_pairs(3, 3)).p == 1.0


def test_mcnemar_no_discordant_pairs():
    """Both models right on the same examples: no evidence either way, p = 1."""
    r = mcnemar_exact(*_pairs(0, 0, both=4, neither=2))
    assert (r.n, r.a_only, r.b_only, r.p) == (6, 0, 0, 1.0)
    assert mcnemar_exact([], []).p == 1.0


def test_mcnemar_against_statsmodels():
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 80))
        a = rng.random(n) < rng.random()
        b = rng.random(n) < rng.random()
        table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
        assert mcnemar_exact(a, b).p == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)


def test_mcnemar_length_mismatch():
    with pytest.raises(ValueError, match="same length"):
        mcnemar_exact([True, False], [True])


def test_paired_t_hand_worked():
    """x=[3,4,5,5], y=[2,4,3,4] -> d=[1,0,2,1], mean 1, sample var (0+1+1+0)/3 = 2/3,
    se = sqrt(2/3)/2, t = 1/se = sqrt(6), df 3. Student t with 3 df has
    F(t) = 1/2 + (t/(sqrt3 (1+t^2/3)) + atan(t/sqrt3))/pi; at t=sqrt6: sqrt2/3 + atan(sqrt2),
    so p = 2*(1/2 - (sqrt2/3 + atan(sqrt2))/pi) = 0.09172."""
    r = paired_t([3, 4, 5, 5], [2, 4, 3, 4])
    p = 2 * (0.5 - (math.sqrt(2) / 3 + math.atan(math.sqrt(2))) / math.pi)
    assert (r.n, r.mean_diff) == (4, 1.0)
    assert r.statistic == pytest.approx(math.sqrt(6))
    assert r.p == pytest.approx(p)
    assert r.p == pytest.approx(0.09172, abs=1e-5)


def test_paired_t_edge_cases():
    """All differences zero (0/0 t) or fewer than 2 pairs: too few items to test, no p."""
    for x, y in (([3, 4, 5], [3, 4, 5]), ([1], [2]), ([], [])):
        r = paired_t(x, y)
        assert r.p is None and r.note == "too few items to test" and math.isnan(r.statistic)


def test_paired_t_against_scipy():
    rng = np.random.default_rng(2)
    for _ in range(50):
        n = int(rng.integers(2, 100))
        x = rng.integers(1, 6, n)
        y = np.clip(x + rng.integers(-2, 3, n), 1, 5)
        if np.all(x == y):
            continue
        ref = sps.ttest_rel(x, y)
        r = paired_t(x, y)
        assert r.statistic == pytest.approx(ref.statistic)
        assert r.p == pytest.approx(ref.pvalue)
        assert r.mean_diff == pytest.approx(np.mean(x - y))


def test_wilcoxon_hand_worked():
    """d = x - y = [1,2,3,-4,5]: |d| ranks 1..5, W+ = 1+2+3+5 = 11, W- = 4, statistic
    min = 4. Exact null: W- is the sum of a uniform random subset of {1..5}; subsets with
    sum <= 4: {}, {1}, {2}, {3}, {1,2}, {4}, {1,3} = 7 of 32, so p = 2 * 7/32 = 0.4375."""
    r = wilcoxon_signed_rank([2, 4, 6, 1, 10], [1, 2, 3, 5, 5], alpha=0.1)
    assert (r.n, r.statistic) == (5, 4.0)
    assert r.mean_diff == pytest.approx(7 / 5)
    assert r.p == pytest.approx(0.4375)


def test_wilcoxon_all_ties_or_too_few_differences():
    """All differences zero: nothing to rank. 5 non-zero differences: the most extreme ranking
    gives p = 2/2^5 = .0625, which can never reach alpha .05, so it is not tested."""
    for x, y in (([1, 2, 3], [1, 2, 3]), ([2, 4, 6, 1, 10], [1, 2, 3, 5, 5])):
        r = wilcoxon_signed_rank(x, y)
        assert r.p is None and r.note == "too few items to test"


def test_wilcoxon_against_scipy_on_likert_scores():
    """Likert 1-5 scores: many ties and zero differences, scipy's default handling (one
    small sample takes scipy's exhaustive permutation path, the rest the normal one)."""
    rng = np.random.default_rng(3)
    for i in range(30):
        n = 8 if i == 0 else int(rng.integers(20, 200))
        x = rng.integers(1, 6, n)
        y = np.clip(x + rng.integers(-1, 3, n), 1, 5)
        if np.all(x == y):
            continue
        ref = sps.wilcoxon(x, y)
        r = wilcoxon_signed_rank(x, y, alpha=0.5)  # the small sample may have < 6 non-zero differences
        assert r.statistic == pytest.approx(ref.statistic)
        assert r.p == pytest.approx(ref.pvalue)


def test_paired_t_constant_differences_never_give_p_zero():
    """Differences all +1 (paired_t([5,5],[4,4]): two graded items): s = 0, scipy's limit is
    t = inf, p = 0, "significant" from two items. Zero variance is too few items to test, and
    decided without scipy's precision-loss warning."""
    import warnings

    from scipy.stats import ttest_rel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ttest_rel([5, 5], [4, 4]).pvalue == 0.0  # the behaviour we must not inherit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [paired_t([5, 5], [4, 4]), paired_t([2, 3, 4], [1, 2, 3]), paired_t([1, 1], [3, 3])]
    for r, diff in zip(results, (1.0, 1.0, -2.0)):
        assert (r.p, r.note, r.mean_diff) == (None, "too few items to test", diff)
