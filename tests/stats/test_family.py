"""The multiple-comparison family: statsmodels' multipletests as the oracle."""

import pytest
from statsmodels.stats.multitest import multipletests

from medtune.stats.family import adjust_family


def test_study_family_is_bonferroni_or_holm_over_primary_comparisons():
    ps = [0.001, 0.02, 0.04, 0.3, 0.0004]
    tasks = ["uti", "uti", "triage", "triage", "triage"]
    for method in ("bonferroni", "holm"):
        adj, fams = adjust_family(ps, tasks, "study", method, 0.05, n_tasks=2)
        assert adj == pytest.approx(list(multipletests(ps, method=method)[1]))
        assert fams["uti"].m == fams["triage"].m == 5 and fams["uti"].threshold == pytest.approx(0.01)


def test_task_family_is_unchanged_by_another_task():
    """A task's verdict must not change when an unrelated task is added to the study."""
    alone, _ = adjust_family([0.01, 0.02], ["uti", "uti"], "task", "bonferroni", 0.05, n_tasks=1)
    more, fams = adjust_family([0.01, 0.02, 0.5, 0.6, 0.7], ["uti", "uti", "x", "x", "x"], "task",
                               "bonferroni", 0.05, n_tasks=2)
    assert more[:2] == alone == pytest.approx([0.02, 0.04])
    assert (fams["uti"].m, fams["x"].m) == (2, 3)


def test_paper_family_is_bonferroni_over_tasks():
    """The paper: alpha .05 over its 5 tasks, p < .01, however many comparisons each has."""
    adj, fams = adjust_family([0.009, 0.011, 0.2], ["a", "a", "b"], "paper", "bonferroni", 0.05, n_tasks=5)
    assert adj == pytest.approx([0.045, 0.055, 1.0])
    assert fams["a"].m == 5 and fams["a"].threshold == pytest.approx(0.01)
    assert "p < .01" in fams["a"].describe()
    with pytest.raises(ValueError, match="Bonferroni"):
        adjust_family([0.1], ["a"], "paper", "holm", 0.05, n_tasks=1)


def test_untestable_comparisons_count_in_m_but_stay_none():
    adj, fams = adjust_family([None, 0.01], ["a", "a"], "study", "holm", 0.05, n_tasks=1)
    assert adj[0] is None and adj[1] == pytest.approx(multipletests([1.0, 0.01], method="holm")[1][1])
    assert fams["a"].m == 2


def test_config_refuses_a_paper_family_with_holm():
    from pydantic import ValidationError

    from medtune.config import Statistics

    assert Statistics().family == "study"
    with pytest.raises(ValidationError, match="family 'paper' is Bonferroni"):
        Statistics(family="paper", correction="holm")
    with pytest.raises(ValidationError):
        Statistics(family="paper-ish")
