"""Graded sections (judges, physicians) of results.json: summaries and paired tests on hand
numbers, pairing on shared example ids, and an open-ended task nobody graded yet."""

from __future__ import annotations

import pytest

from medtune.judges import EQUIVALENCE, SUMMARY_LIKERT
from medtune.report.graded import primary, section
from medtune.stats import wilson_interval

PAIRS = (("base", "sft"), ("sft", "dpo"), ("base", "dpo"))


def test_binary_section_pairs_on_shared_examples():
    """base judged correct on e1, e3 of e1-e3 (e4 unparseable: left out); SFT on e1-e3 of e1-e4.
    Proportions 2/3 and 3/4 with Wilson intervals. Paired on e1-e3 only: discordant pairs
    a_only 0, b_only 1 (e2), exact McNemar p = min(1, 2 * P(Binom(1, 1/2) <= 0)) = 1.0;
    mean_diff = (3 - 2) / 3."""
    outcomes = {"base": {"e1": 1.0, "e2": 0.0, "e3": 1.0}, "sft": {"e1": 1.0, "e2": 1.0, "e3": 1.0, "e4": 0.0}}
    s = section(EQUIVALENCE, outcomes, {"base": 4, "sft": 4}, PAIRS)
    assert s["metric"] == "accuracy"
    assert s["variants"]["base"] == {"value": pytest.approx(2 / 3), "ci95": list(wilson_interval(2, 3)),
                                     "n": 3, "n_missing": 1}
    assert s["variants"]["sft"]["value"] == 0.75 and s["variants"]["sft"]["n_missing"] == 0
    [c] = s["comparisons"]
    assert (c["a"], c["b"], c["test"], c["n"], c["a_only"], c["b_only"]) == ("base", "sft", "mcnemar_exact", 3, 0, 1)
    # one discordant pair: even 1-0 could not reach alpha (p >= 2/2^1): too few items to test
    assert c["p"] is None and c["note"] == "too few items to test" and c["mean_diff"] == pytest.approx(1 / 3)


def test_likert_section_t_and_wilcoxon_and_small_samples():
    """base (3, 4), sft (4, 5) on two shared examples: differences (1, 1), constant non-zero:
    scipy's t would be infinite with p = 0 ("significant" from two items); here too few items
    to test. Wilcoxon on 2 non-zero differences: the best p is 2 / 2^2 = .5 >= alpha, too few
    too. DPO shares one example with SFT: both tests are recorded, neither testable; one score
    has no interval."""
    outcomes = {"base": {"a": 3.0, "b": 4.0}, "sft": {"a": 4.0, "b": 5.0}, "dpo": {"b": 5.0}}
    s = section(SUMMARY_LIKERT, outcomes, {"base": 2, "sft": 2, "dpo": 2}, PAIRS)
    assert s["variants"]["sft"]["value"] == 4.5 and s["variants"]["dpo"]["ci95"] is None
    tests = {(c["a"], c["b"], c["test"]): c for c in s["comparisons"]}
    assert set(tests) == {(a, b, t) for a, b in PAIRS for t in ("paired_t", "wilcoxon_signed_rank")}
    t = tests[("base", "sft", "paired_t")]
    assert t["statistic"] is None and t["p"] is None and t["mean_diff"] == 1.0
    assert all(c["p"] is None and c["note"] == "too few items to test" for c in s["comparisons"])


def test_primary_prefers_judges():
    graded = {"physicians:summary_likert": {"x": 1}, "judges:summary_likert": {"x": 2}}
    assert primary(graded) == ("judges:summary_likert", {"x": 2})
    assert primary({}) == ("", None)


def test_open_ended_task_without_grader_renders(tmp_path):
    """An open-ended task no one has graded: no variants, no figure panel, and a
    recommendation that says what to do."""
    import json

    from medtune.report.render import write_report

    todo = "No grader has scored this task's outputs yet: give it a judge."
    results = {"schema": 1, "study": {"name": "s"}, "alpha": 0.05, "correction": "bonferroni",
               "n_comparisons": 0,
               "tasks": {"summary": {"kind": "summarization", "metric": "none", "n_test": 5, "endpoints": [],
                                     "variants": {}, "comparisons": [], "graded_by": None,
                                     "deploy": None, "recommendation": todo}}}
    write_report(results, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["tasks"]["summary"]["recommendation"] == todo
    assert todo in (tmp_path / "report.md").read_text()
    assert "summary" not in (tmp_path / "figure.svg").read_text()
