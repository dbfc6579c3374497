"""Power, sample size and MDE: statsmodels and simulation as oracles, hand-worked numbers."""

import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.power import TTestPower

from medtune.stats import power as pw
from medtune.stats.f1diff import paired_f1_difference


def test_connor_sample_size_by_hand():
    """p10 = .2, p01 = .40625 (the pilot: 32 and 65 of 160), alpha .05, power .8:
    psi = .60625, delta = .20625; (1.95996 sqrt(.60625) + 0.84162 sqrt(.60625 - .042539))^2
    / .042539 = (1.52604 + 0.63186)^2 / .042539 = 109.4 -> 110."""
    assert pw.mcnemar_connor_n(32 / 160, 65 / 160, 0.05) == 110


def test_exact_mcnemar_power_matches_simulation_with_statsmodels():
    rng = np.random.default_rng(0)
    n, p10, p01, alpha = 60, 0.1, 0.3, 0.05
    hits = 0
    sims = 2000
    for _ in range(sims):
        cell = rng.choice(4, size=n, p=[0.4, p10, p01, 0.2])
        b, c = int(np.sum(cell == 1)), int(np.sum(cell == 2))
        hits += mcnemar([[0, b], [c, 0]], exact=True).pvalue < alpha
    assert pw.mcnemar_power(n, p10, p01, alpha) == pytest.approx(hits / sims, abs=0.03)


def test_mcnemar_n_reaches_the_power():
    n, got = pw.mcnemar_n(0.2, 0.40625, 0.05 / 9)
    assert got >= 0.8 and pw.mcnemar_power(n, 0.2, 0.40625, 0.05 / 9) == got


def test_paired_t_mde_has_the_power_in_statsmodels():
    mde = pw.paired_t_mde(sd_diff=1.2, n=40, threshold=0.01)
    assert TTestPower().power(mde / 1.2, 40, 0.01) == pytest.approx(0.8, abs=1e-4)
    assert pw.paired_t_mde(0.0, 40, 0.01) is None and pw.paired_t_mde(1.0, 1, 0.01) is None


def test_normal_mde_and_power_agree():
    """MDE = (z_.9975 + z_.8) se = (2.807 + 0.8416) * 0.1 = 0.3649 at threshold .005."""
    mde = pw.mde_normal(0.1, 0.005)
    assert mde == pytest.approx(0.3649, abs=1e-3)
    assert pw.power_normal(mde, 0.1, 0.005) == pytest.approx(0.8, abs=1e-9)
    assert pw.n_normal(mde, 0.1 * math.sqrt(50), 1, 0.005) == 50


def test_f1_power_prediction_close_to_the_permutation_tests_rejection_rate():
    """The planning model's normal approximation against the real decisive test on simulated
    test sets: balanced classes, base right 55%, SFT 80%, independent errors, n = 80."""
    joint = (0.55 * 0.8, 0.55 * 0.2, 0.45 * 0.8, 0.45 * 0.2)
    delta, sd = pw.f1_difference_sd(0.5, joint, n=80, sims=4000)
    predicted = pw.power_normal(delta, sd, 0.05)
    rng = np.random.default_rng(5)
    hits, sims = 0, 150
    for s in range(sims):
        gold = rng.random(80) < 0.5
        cell = rng.choice(4, size=80, p=joint)
        a = np.where((cell == 0) | (cell == 1), gold, ~gold)
        b = np.where((cell == 0) | (cell == 2), gold, ~gold)
        lab = lambda x: ["yes" if v else "no" for v in x]  # noqa: E731
        r = paired_f1_difference(lab(gold), lab(a), lab(b), ("yes", "no"), "yes", n_boot=100, n_perm=399, seed=s)
        hits += r.p is not None and r.p < 0.05
    assert hits / sims == pytest.approx(predicted, abs=0.12)
