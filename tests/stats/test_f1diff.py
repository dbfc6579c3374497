"""Paired F1 difference: F1 against sklearn, the permutation test against scipy's
permutation_test, the bootstrap interval against scipy's paired bootstrap, degenerate data."""

import numpy as np
import pytest
from scipy import stats as sps
from sklearn.metrics import f1_score

from medtune.stats.f1diff import endpoint_f1, needed_resamples, paired_f1_difference

YES_NO = ("yes", "no")
CATS = ("siadh", "hypovolemic", "hypervolemic")


def _repro():
    """The issue's reproduction: 200 examples, 40 gold yes. base says yes on 10 positives only
    (TP 10, FN 30, FP 0: F1 = 20/50 = .40, accuracy 170/200 = .85); SFT says yes on 38
    positives and 70 negatives (TP 38, FN 2, FP 70: F1 = 76/148 = .51, accuracy
    (38+90)/200 = .64)."""
    gold = ["yes"] * 40 + ["no"] * 160
    base = ["yes"] * 10 + ["no"] * 190
    sft = ["yes"] * 38 + ["no"] * 2 + ["yes"] * 70 + ["no"] * 90
    return gold, base, sft


def test_f1_matches_sklearn_binary_and_macro():
    rng = np.random.default_rng(0)
    for _ in range(40):
        n = int(rng.integers(5, 60))
        gold = list(rng.choice(CATS, n))
        pred = [None if rng.random() < 0.1 else str(c) for c in rng.choice(CATS, n)]
        safe = [p if p is not None else "unparsed" for p in pred]
        ref = f1_score(gold, safe, labels=list(CATS), average="macro", zero_division=0)
        assert endpoint_f1(gold, pred, CATS, "siadh") == pytest.approx(ref)
        g2 = ["yes" if g == "siadh" else "no" for g in gold]
        p2 = [None if p is None else ("yes" if p == "siadh" else "no") for p in pred]
        # a parse failure is a negative call (a false negative on a gold yes)
        ref2 = f1_score(g2, [p or "no" for p in p2], pos_label="yes", average="binary", zero_division=0)
        assert endpoint_f1(g2, p2, YES_NO, "yes") == pytest.approx(ref2)


def test_reproduction_effect_and_hand_worked_f1():
    gold, base, sft = _repro()
    assert endpoint_f1(gold, base, YES_NO, "yes") == pytest.approx(0.40)
    r = paired_f1_difference(gold, base, sft, YES_NO, "yes", n_perm=2000, seed=0)
    assert r.effect == pytest.approx(76 / 148 - 0.40)
    assert r.ci95[0] < 0 < r.ci95[1]
    assert 0.1 < r.p < 0.4 and r.discordant == 98


def test_permutation_p_matches_scipy_exact_enumeration():
    """Few discordant examples: every swap pattern is enumerated, as scipy's
    permutation_test does for paired samples (permutation_type="samples") when 2^n is small.
    Gold is carried inside each sample (code = 10 * gold + prediction) so a swap keeps it."""
    rng = np.random.default_rng(1)
    for _ in range(6):
        n = 12
        gold = rng.integers(0, 2, n)
        a = np.where(rng.random(n) < 0.7, gold, 1 - gold)
        b = np.where(rng.random(n) < 0.8, gold, 1 - gold)
        if np.sum(a != b) < 6:
            continue

        def stat(x, y, axis=-1):
            g = x // 10
            return _f1(g, y % 10) - _f1(g, x % 10)

        def _f1(g, p):
            tp = np.sum((g == 1) & (p == 1), axis=-1)
            den = np.sum(g == 1, axis=-1) + np.sum(p == 1, axis=-1)
            return np.divide(2.0 * tp, den, out=np.zeros(np.shape(den)), where=den > 0)

        ref = sps.permutation_test((10 * gold + a, 10 * gold + b), stat, permutation_type="samples",
                                   vectorized=True, n_resamples=np.inf, alternative="two-sided")
        labels = ("1", "0")
        r = paired_f1_difference([str(x) for x in gold], [str(x) for x in a], [str(x) for x in b],
                                 labels, "1", alpha=0.5)
        assert r.method == "exact"
        assert r.p == pytest.approx(ref.pvalue)


def test_monte_carlo_p_is_never_zero_and_close_to_exact():
    """A clear win with many discordant examples: p = (1 + hits) / (1 + R) >= 1 / (R + 1)."""
    gold = ["yes"] * 40 + ["no"] * 160
    base = ["no"] * 200
    sft = ["yes"] * 36 + ["no"] * 4 + ["no"] * 155 + ["yes"] * 5
    r = paired_f1_difference(gold, base, sft, YES_NO, "yes", n_perm=999, seed=3)
    assert r.method == "monte carlo" and r.p == pytest.approx(1 / 1000) and r.p_min == pytest.approx(1 / 1000)
    assert r.ci95[0] > 0.7


def test_bootstrap_interval_close_to_scipy_paired_bootstrap():
    gold, base, sft = _repro()
    g = np.array([x == "yes" for x in gold])
    a, b = np.array([x == "yes" for x in base]), np.array([x == "yes" for x in sft])

    def stat(i, axis=-1):
        i = np.asarray(i, dtype=int)
        return np.array([_f(g[j], b[j]) - _f(g[j], a[j]) for j in np.atleast_2d(i)]).squeeze()

    def _f(gg, pp):
        return 2 * np.sum(gg & pp) / (np.sum(gg) + np.sum(pp))

    ref = sps.bootstrap((np.arange(200),), stat, vectorized=True, n_resamples=2000, method="percentile",
                        random_state=np.random.default_rng(0))
    r = paired_f1_difference(gold, base, sft, YES_NO, "yes", n_boot=2000, n_perm=100, seed=0)
    assert r.ci95 == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high), abs=0.02)
    assert r.se == pytest.approx(ref.standard_error, rel=0.1)


def test_degenerate_data_is_too_few_items_never_p_zero():
    gold = ["yes", "no", "yes", "no"] * 5
    same = paired_f1_difference(gold, gold, gold, YES_NO, "yes")
    assert (same.p, same.note, same.discordant) == (None, "too few items to test", 0)
    # five discordant examples: the most extreme pattern has p = 2/32 > .05
    b = list(gold)
    for i in range(5):
        b[i] = "no" if gold[i] == "yes" else "yes"
    few = paired_f1_difference(gold, gold, b, YES_NO, "yes")
    assert few.p is None and few.note == "too few items to test" and few.p_min == pytest.approx(1 / 16)


def test_seeded_and_enough_resamples_for_the_family():
    gold, base, sft = _repro()
    one = paired_f1_difference(gold, base, sft, YES_NO, "yes", n_perm=500, seed=7)
    two = paired_f1_difference(gold, base, sft, YES_NO, "yes", n_perm=500, seed=7)
    assert one == two
    assert 1 / (needed_resamples(0.05 / 9) + 1) <= 0.05 / 9 / 20
    assert needed_resamples(0.05 / 1000) == 399999
