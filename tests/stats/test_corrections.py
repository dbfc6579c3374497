"""Multiple-comparison corrections: hand-worked numbers and statsmodels multipletests."""

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from medtune.stats.corrections import adjust_pvalues

P = [0.01, 0.04, 0.03, 0.005]


def test_bonferroni_hand_worked():
    """m = 4: p * 4 = [0.04, 0.16, 0.12, 0.02]; 0.3 * 4 = 1.2 is capped at 1."""
    assert adjust_pvalues(P, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust_pvalues([0.3, 0.001], "bonferroni") == pytest.approx([0.6, 0.002])
    assert adjust_pvalues([0.3, 0.3, 0.3, 0.3], "bonferroni") == [1.0] * 4


def test_holm_hand_worked():
    """Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max
    keeps 0.06 for the last; back in input order [0.03, 0.06, 0.06, 0.02]."""
    assert adjust_pvalues(P, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_edge_cases():
    assert adjust_pvalues([], "holm") == []
    assert adjust_pvalues([0.02], "holm") == [0.02]
    assert adjust_pvalues([1.0, 0.9], "holm") == [1.0, 1.0]


def test_bad_method_names_the_allowed_ones():
    with pytest.raises(ValueError, match="bonferroni, holm"):
        adjust_pvalues(P, "fdr_bh")


def test_bad_pvalues():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([0.5, 1.5], "holm")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([float("nan")], "bonferroni")


@pytest.mark.parametrize("method", ["bonferroni", "holm"])
def test_against_statsmodels(method):
    rng = np.random.default_rng(4)
    for _ in range(20):  # multipletests(holm) is slow, ~50 ms a call
        m = int(rng.integers(1, 12))
        p = rng.random(m) ** 3  # skew small so corrections matter
        if rng.random() < 0.3:
            p[: m // 2] = p[0]  # ties
        ref = multipletests(p, method=method)[1]
        assert adjust_pvalues(p.tolist(), method) == pytest.approx(ref.tolist())
