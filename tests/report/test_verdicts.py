"""report/verdicts.py + recommend: the family, the per-endpoint verdicts, direction from the
tested effect, inconclusive vs as good as."""

from __future__ import annotations

import pytest

from medtune.config import Statistics
from medtune.report.recommend import recommend
from medtune.report.verdicts import apply_family


def _f1(a, b, ep, effect, p, se=0.05):
    return {"a": a, "b": b, "endpoint": ep, "test": "permutation_f1", "n": 200, "effect": effect,
            "effect_ci95": [effect - 2 * se, effect + 2 * se], "effect_se": se, "p": p}


def _mcnemar(a, b, ep, p, a_only, b_only):
    return {"a": a, "b": b, "endpoint": ep, "test": "mcnemar_exact", "n": 200, "a_only": a_only,
            "b_only": b_only, "p": p, "secondary": True}


def _triage(urgency_p=0.0001, provider_p=0.3):
    per = {"base": {"urgency": 0.0, "provider": 0.40}, "sft": {"urgency": 0.69, "provider": 0.45}}
    variants = {v: {"value": sum(e.values()) / 2, "ci95": None,
                    "per_endpoint": {k: {"f1": x} for k, x in e.items()}} for v, e in per.items()}
    return {"kind": "classification", "metric": "f1", "n_test": 200, "endpoints": ["urgency", "provider"],
            "variants": variants,
            "comparisons": [_f1("base", "sft", "urgency", 0.69, urgency_p),
                            _mcnemar("base", "sft", "urgency", 0.001, 5, 30),
                            _f1("base", "sft", "provider", 0.05, provider_p),
                            _mcnemar("base", "sft", "provider", 0.5, 10, 12)]}


def _decide(tasks, **stats):
    s = Statistics(**stats)
    top = apply_family(tasks, s)
    out = {n: recommend(t, alpha_note=t["family"]["text"]) for n, t in tasks.items()}
    return top, out


def test_each_endpoint_named_with_its_own_verdict_and_the_family_stated():
    tasks = {"triage": _triage()}
    top, out = _decide(tasks)
    deploy, sentence = out["triage"]
    assert top["n_comparisons"] == 2 and top["threshold"] == pytest.approx(0.025)  # McNemar not in m
    assert deploy == "sft"
    assert "urgency F1 0.69 vs 0.00 (difference +0.69, 95% CI +0.59 to +0.79), significantly better (adjusted p<.001)" in sentence
    assert "provider F1 0.45 vs 0.40 (difference +0.05, 95% CI −0.05 to +0.15), n.s. (adjusted p=.60; inconclusive, the test could detect a difference of 0.15 or more)" in sentence  # (z_.9875 + z_.8) * .05 = (2.241 + 0.842) * .05 = .154
    assert "family study: m = 2 primary comparisons" in sentence and "threshold p < .025" in sentence
    mc = tasks["triage"]["comparisons"][1]
    assert mc["primary"] is False and mc["p_adjusted"] == pytest.approx(0.002)


def test_significant_accuracy_without_a_significant_f1_is_not_a_win():
    """The paper's McNemar is significant (for base!), the decisive F1 test is not: base."""
    task = _triage(urgency_p=0.2, provider_p=0.3)
    task["comparisons"][1].update(p=1e-6, a_only=70, b_only=28)
    _, out = _decide({"triage": task})
    assert out["triage"][0] == "base" and "inconclusive" in out["triage"][1]


def test_direction_comes_from_the_tested_effect():
    """Values say SFT is higher but the tested difference is negative and significant."""
    task = _triage()
    task["comparisons"][0]["effect"] = -0.3
    _, out = _decide({"triage": task})
    assert out["triage"][0] == "base"


def test_noninferiority_margin_says_as_good():
    tasks = {"triage": _triage()}
    _decide(tasks, noninferiority_margin=0.1)
    provider = tasks["triage"]["comparisons"][2]
    assert provider["verdict"] == "n.s." and provider["as_good"] is True  # CI lower -0.05 > -0.1
    tasks = {"triage": _triage()}
    _decide(tasks, noninferiority_margin=0.01)
    assert tasks["triage"]["comparisons"][2]["as_good"] is False


def test_task_family_keeps_a_verdict_when_a_task_is_added():
    one = {"triage": _triage(provider_p=0.02)}
    _decide(one, family="task")
    two = {"triage": _triage(provider_p=0.02), "uti": {"kind": "classification", "metric": "f1", "n_test": 9,
           "endpoints": ["uti"], "variants": {}, "comparisons": [_f1("base", "sft", "uti", 0.1, 0.5)] * 1}}
    _decide(two, family="task")
    assert two["triage"]["comparisons"][2]["significant"] == one["triage"]["comparisons"][2]["significant"] is True
    study = {"triage": _triage(provider_p=0.02), "uti": two["uti"]}
    study["uti"]["comparisons"] = [_f1("base", "sft", "uti", 0.1, 0.5), _f1("sft", "dpo", "uti", 0.1, 0.5)]
    _decide(study, family="study")
    assert study["triage"]["comparisons"][2]["significant"] is False  # .02 * 4 > .05


def test_too_few_items_is_its_own_verdict():
    task = _triage()
    task["comparisons"][2].update(p=None, note="too few items to test")
    _, out = _decide({"triage": task})
    assert "provider F1 0.45 vs 0.40 (difference +0.05, 95% CI −0.05 to +0.15), too few items to test" in out["triage"][1]
