"""Open-ended tasks in results.json and the report: per-outcome summaries, paired tests,
recommendation, tables and figure."""

import copy

import pytest

from medtune.report.figures import comparison_figure
from medtune.report.outcomes import comparisons, variant_summary
from medtune.report.recommend import recommend
from medtune.report.render import write_report
from medtune.tasks import get_task


def _rows(values, key="coverage", text="a summary"):
    return [{"example_id": f"e{i}", "text": text, "scores": {key: v, "rouge_l": 0.5}}
            for i, v in enumerate(values)]


def test_binary_outcome_summary_and_mcnemar():
    """9 examples: base right on e0-e1, SFT right on e0-e7: 6 discordant pairs, all for SFT,
    exact McNemar p = 2 * 0.5**6 = 0.03125; accuracy 8/9 with a Wilson interval. With 3
    discordant pairs the best possible p is 2/2^3 = .25: too few items to test."""
    task = get_task("reasoning")
    base = _rows([1, 1, 0, 0, 0, 0, 0, 0, 0], "accuracy")
    sft = _rows([1, 1, 1, 1, 1, 1, 1, 1, 0], "accuracy")
    s = variant_summary(task, sft, n_boot=100, seed=0)
    assert s["value"] == s["accuracy"] == pytest.approx(8 / 9) and s["per_endpoint"]["accuracy"]["n"] == 9
    assert s["ci95"][0] < 8 / 9 < s["ci95"][1]
    [c] = comparisons(task, "base", "sft", base, sft)
    assert (c["test"], c["a_only"], c["b_only"], c["n"]) == ("mcnemar_exact", 0, 6, 9)
    assert c["p"] == pytest.approx(0.03125) and c["effect"] == pytest.approx(6 / 9)
    [few] = comparisons(task, "base", "sft", _rows([1, 1, 0, 0, 0, 0], "accuracy"), _rows([1, 1, 1, 1, 1, 0], "accuracy"))
    assert few["p"] is None and few["note"] == "too few items to test"


def test_continuous_outcomes_get_paired_t_and_wilcoxon_like_scipy():
    from scipy.stats import ttest_rel, wilcoxon

    task = get_task("summarization")
    a = [0.25, 0.5, 0.5, 0.75, 0.25, 0.5, 0.0, 0.5]
    b = [0.5, 0.75, 0.5, 1.0, 0.5, 0.75, 0.25, 0.75]
    rows_a, rows_b = _rows(a), _rows(b)
    rows_b[7]["scores"]["coverage"] = None  # no coverage for this example: left out of the pairs
    out = comparisons(task, "base", "sft", rows_a, rows_b)
    t = next(c for c in out if c["endpoint"] == "coverage" and c["test"] == "paired_t")
    w = next(c for c in out if c["endpoint"] == "coverage" and c["test"] == "wilcoxon_signed_rank")
    assert t["n"] == 7 and t["mean_diff"] == pytest.approx(0.25 * 6 / 7)
    assert t["p"] == pytest.approx(ttest_rel(b[:7], a[:7]).pvalue)
    assert w["p"] == pytest.approx(wilcoxon(b[:7], a[:7]).pvalue) and w["secondary"] and "secondary" not in t
    assert {c["endpoint"] for c in out} == {"coverage", "rouge_l"}
    s = variant_summary(task, rows_b, n_boot=200, seed=0)
    assert s["per_endpoint"]["coverage"]["n"] == 7 and s["coverage"] == pytest.approx(sum(b[:7]) / 7)
    assert s["rouge_l"] == 0.5 and s["mean_answer_words"] == 2.0 and s["empty_answer_rate"] == 0.0


def _variant(cov, rouge):
    return {"value": cov, "ci95": [cov - 0.1, cov + 0.1], "coverage": cov, "rouge_l": rouge,
            "empty_answer_rate": 0.0, "mean_answer_words": 48.0,
            "per_endpoint": {"coverage": {"value": cov, "ci95": [cov - 0.1, cov + 0.1], "n": 40},
                             "rouge_l": {"value": rouge, "ci95": [rouge - 0.05, rouge + 0.05], "n": 40}}}


def _cmp(a, b, ep, test, p, sig, secondary=False):
    c = {"a": a, "b": b, "endpoint": ep, "test": test, "n": 40, "mean_diff": 0.1, "statistic": 2.0,
         "p": p, "p_adjusted": p, "significant": sig}
    if secondary:
        c["secondary"] = True
    return c


def summarization_results():
    comps = []
    for a, b, sig in (("base", "sft", True), ("sft", "dpo", False), ("base", "dpo", True)):
        for ep in ("coverage", "rouge_l"):
            comps.append(_cmp(a, b, ep, "paired_t", 0.001 if sig and ep == "coverage" else 0.4,
                              sig and ep == "coverage"))
            comps.append(_cmp(a, b, ep, "wilcoxon_signed_rank", 0.001, True, secondary=True))
    task = {"kind": "summarization", "metric": "coverage", "n_test": 40,
            "endpoints": ["coverage", "rouge_l"],
            "variants": {"base": _variant(0.35, 0.20), "sft": _variant(0.80, 0.45), "dpo": _variant(0.82, 0.46)},
            "comparisons": comps,
            "rejected": {"strategy": "weaker_model", "model": "the study's model, not fine-tuned",
                         "generated_answers": {"train": {"generated": 30, "fallback": 2, "dropped": 0}},
                         "fallback_strategy": "wrong_option"}}
    return {"schema": 1, "study": {"name": "s", "model": "m"}, "alpha": 0.05,
            "correction": "bonferroni", "n_comparisons": 12, "tasks": {"summarization": task},
            "compute": {"seconds": {"sft": 10.0, "dpo": 25.0}, "dpo_to_sft": 2.5, "per_task": {}}}


def test_recommendation_reads_the_t_test_not_the_wilcoxon_check():
    task = summarization_results()["tasks"]["summarization"]
    deploy, sentence = recommend(task, dpo_to_sft=2.5)
    assert deploy == "sft"
    assert "key-fact coverage 0.80 vs 0.35" in sentence and "ROUGE-L 0.45 vs 0.20" in sentence
    only_wilcoxon = copy.deepcopy(task)
    for c in only_wilcoxon["comparisons"]:
        if c["test"] == "paired_t":
            c["significant"] = False
    assert recommend(only_wilcoxon)[0] == "base"


def test_report_tables_and_figure_for_an_open_task(tmp_path):
    results = summarization_results()
    write_report(results, tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "| Variant | key-fact coverage | 95% CI | ROUGE-L | 95% CI | Answer words (mean) | Empty answers |" in md
    assert "| SFT | 0.80 | 0.70–0.90 | 0.45 | 0.40–0.50 | 48.0 | 0.0% |" in md
    assert "| SFT vs base | key-fact coverage | paired t-test | yes | 40 | +0.100 |" in md
    assert "Wilcoxon signed-rank (check)" in md
    assert "weaker_model (the study's model, not fine-tuned); train: 30 generated, 2 by wrong_option" in md
    html = (tmp_path / "index.html").read_text()
    assert "DPO rejected answers" in html and "ROUGE-L" in html
    svg = comparison_figure(results)
    assert "A. summarization (key-fact coverage)" in svg and "B. summarization (ROUGE-L)" in svg


def test_judged_open_task_headlines_the_graders_and_keeps_its_automatic_outcomes(tmp_path):
    """Summaries with a judge: the headline is the jury's mean Likert score and its paired
    t-test (the paper's), the Wilcoxon check stays in the graded section; key-fact coverage and
    ROUGE-L move to ``automatic`` and are still shown."""
    from medtune.judges import SUMMARY_LIKERT
    from medtune.report.graded import section
    from medtune.report.results import _graded_headline

    results = summarization_results()
    task = results["tasks"]["summarization"]
    likert = {"base": {f"e{i}": 2.0 + (i % 2) for i in range(6)},
              "sft": {f"e{i}": 4.0 + (i % 3 == 0) for i in range(6)}}
    judged = {"source": "judges", "judges": ["a", "b"], "aggregate": "mean", "agreement": [],
              **section(SUMMARY_LIKERT, likert, {"base": 6, "sft": 6}, [("base", "sft")])}
    task["graded"] = {"judges:summary_likert": judged}
    _graded_headline(task, task["graded"])
    assert task["graded_by"] == "judges:summary_likert" and task["metric"] == "likert"
    assert task["variants"] is judged["variants"] and task["endpoints"] == []
    assert [c["test"] for c in task["comparisons"]] == ["paired_t"]
    assert task["automatic"]["metric"] == "coverage" and len(task["automatic"]["comparisons"]) == 12
    for c in judged["comparisons"]:
        c.update(p_adjusted=c["p"], significant=c["p"] < 0.05)
    task["deploy"], task["recommendation"] = recommend(task)
    assert task["deploy"] == "sft" and "Likert" in task["recommendation"]
    write_report(results, tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "### Automatic outcomes (no grader)" in md and "| SFT | 0.80 | 0.70–0.90 | 0.45 |" in md
    assert "graded by LLM judges a, b (summary_likert, jury mean)" in md
    assert "Wilcoxon signed-rank (check)" in md and "Mean Likert (1-5)" in md
    assert "Likert" in (tmp_path / "figure.svg").read_text()
