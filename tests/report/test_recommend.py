"""recommend(): which variant to deploy, on constructed task results (results.json schema 1)."""

from __future__ import annotations

import pytest

from medtune.report.recommend import beats, recommend

NOT_HELPED = ("fine-tuning did not help significantly on this test set (inconclusive, not evidence "
              "of no effect)")


def make_task(values: dict, comparisons: list[tuple], endpoints=("uti",)) -> dict:
    """values: variant -> value (single endpoint) or {endpoint: value};
    comparisons: (a, b, endpoint, p_adjusted, significant)."""
    variants = {}
    for v, val in values.items():
        per = val if isinstance(val, dict) else {endpoints[0]: val}
        mean = sum(per.values()) / len(per)
        variants[v] = {
            "value": mean, "ci95": [mean - 0.05, min(mean + 0.05, 1.0)], "f1": mean,
            "accuracy": mean, "parse_failure_rate": 0.0,
            "per_endpoint": {ep: {"f1": f} for ep, f in per.items()},
        }
    return {
        "kind": "classification", "metric": "f1", "n_test": 200, "endpoints": list(endpoints),
        "variants": variants,
        "comparisons": [{"a": a, "b": b, "endpoint": ep, "test": "mcnemar_exact", "n": 200,
                         "a_only": 3, "b_only": 20, "p": p / 9, "p_adjusted": p,
                         "significant": sig} for a, b, ep, p, sig in comparisons],
    }


def test_dpo_when_dpo_beats_sft():
    task = make_task({"base": 0.60, "sft": 0.80, "dpo": 0.90},
                     [("base", "sft", "uti", 0.0001, True), ("sft", "dpo", "uti", 0.003, True),
                      ("base", "dpo", "uti", 0.0001, True)])
    deploy, sentence = recommend(task, dpo_to_sft=2.4)
    assert deploy == "dpo"
    assert sentence.startswith("Deploy DPO")
    assert "F1 0.90 vs 0.80, significantly better (adjusted p=.003)" in sentence
    assert "2.4x" in sentence


def test_sft_when_sft_beats_base_and_dpo_does_not_beat_sft():
    """The paper's UTI result for Llama3: base .63, SFT .98 (p<.001), DPO .95 (p=.55 vs SFT)."""
    task = make_task({"base": 0.63, "sft": 0.98, "dpo": 0.95},
                     [("base", "sft", "uti", 0.0002, True), ("sft", "dpo", "uti", 0.55, False),
                      ("base", "dpo", "uti", 0.0002, True)])
    deploy, sentence = recommend(task, alpha_note="p adjusted by Bonferroni over 9 comparisons, alpha .05",
                                 dpo_to_sft=2.5)
    assert deploy == "sft"
    assert "F1 0.98 vs 0.63, significantly better (adjusted p<.001)" in sentence
    assert "p=.55" in sentence
    assert "DPO cost 2.5x the compute of SFT" in sentence
    assert sentence.endswith("; p adjusted by Bonferroni over 9 comparisons, alpha .05.")
    assert "\n" not in sentence


def test_sft_cheaper_when_dpo_beats_base_but_not_sft():
    task = make_task({"base": 0.60, "sft": 0.66, "dpo": 0.70},
                     [("base", "sft", "uti", 0.20, False), ("sft", "dpo", "uti", 0.40, False),
                      ("base", "dpo", "uti", 0.004, True)])
    deploy, sentence = recommend(task, dpo_to_sft=3.0)
    assert deploy == "sft"
    assert "cheaper" in sentence
    assert "3.0x" in sentence


def test_base_when_nothing_is_significant():
    task = make_task({"base": 0.70, "sft": 0.72, "dpo": 0.73},
                     [("base", "sft", "uti", 0.9, False), ("sft", "dpo", "uti", 1.0, False),
                      ("base", "dpo", "uti", 0.6, False)])
    deploy, sentence = recommend(task)
    assert deploy == "base"
    assert NOT_HELPED in sentence
    assert "p>.99" not in sentence  # DPO vs SFT is not part of the base argument
    assert "p=.90" in sentence


def test_significantly_worse_is_not_better():
    task = make_task({"base": 0.80, "sft": 0.60}, [("base", "sft", "uti", 0.001, True)])
    assert not beats(task, "base", "sft")
    assert recommend(task)[0] == "base"


def test_missing_dpo_variant():
    task = make_task({"base": 0.60, "sft": 0.80}, [("base", "sft", "uti", 0.001, True)])
    deploy, sentence = recommend(task, dpo_to_sft=2.0)
    assert deploy == "sft"
    assert "DPO" not in sentence  # DPO was not run: no compute cost, no DPO comparison


def test_only_base():
    task = make_task({"base": 0.60}, [])
    assert recommend(task) == ("base", "Deploy base: no fine-tuned variant was evaluated.")


def test_missing_comparison_never_counts_as_better():
    task = make_task({"base": 0.60, "sft": 0.90}, [])
    assert recommend(task)[0] == "base"


TRIAGE = ("urgency", "provider")


@pytest.mark.parametrize(
    ("provider_dpo", "provider_sig", "expected"),
    [
        (0.74, True, "dpo"),   # urgency better, provider better
        (0.60, False, "dpo"),  # urgency better, provider not significant: still better
        (0.40, True, "sft"),   # urgency better, provider significantly worse: not better
    ],
)
def test_multi_endpoint_rule(provider_dpo, provider_sig, expected):
    task = make_task(
        {"base": {"urgency": 0.81, "provider": 0.55}, "sft": {"urgency": 0.85, "provider": 0.58},
         "dpo": {"urgency": 0.91, "provider": provider_dpo}},
        [("base", "sft", "urgency", 0.001, True), ("base", "sft", "provider", 0.5, False),
         ("sft", "dpo", "urgency", 0.0001, True),
         ("sft", "dpo", "provider", 0.0001 if provider_sig else 0.3, provider_sig),
         ("base", "dpo", "urgency", 0.0001, True), ("base", "dpo", "provider", 0.2, False)],
        endpoints=TRIAGE,
    )
    deploy, sentence = recommend(task)
    assert deploy == expected
    assert "urgency F1" in sentence and "provider F1" in sentence


def test_comparison_recorded_in_reverse_order():
    """A comparison stored as a=sft, b=base means the same pair; direction comes from values."""
    task = make_task({"base": 0.60, "sft": 0.80}, [("sft", "base", "uti", 0.001, True)])
    assert recommend(task)[0] == "sft"


def test_base_says_significantly_worse_when_fine_tuning_hurt():
    """A fine-tuned model significantly worse than base is not "inconclusive": the data showed
    it was worse, and the sentence says so (the demo's uti task once read "did not help")."""
    task = make_task({"base": 0.68, "sft": 0.56, "dpo": 0.55},
                     [("base", "sft", "uti", 0.001, True), ("sft", "dpo", "uti", 0.9, False),
                      ("base", "dpo", "uti", 0.002, True)])
    deploy, sentence = recommend(task)
    assert deploy == "base"
    assert sentence.startswith("Deploy base: fine-tuning made the model significantly worse")
    assert "F1 0.56 vs 0.68, significantly worse (adjusted p=.001)" in sentence
    assert NOT_HELPED not in sentence


def test_base_says_when_an_endpoint_was_traded_for_another():
    task = make_task({"base": {"a": 0.5, "b": 0.8}, "sft": {"a": 0.8, "b": 0.5}},
                     [("base", "sft", "a", 0.001, True), ("base", "sft", "b", 0.001, True)],
                     endpoints=("a", "b"))
    deploy, sentence = recommend(task)
    assert deploy == "base"
    assert "significantly better on one endpoint and significantly worse on another" in sentence
    assert "a F1 0.80 vs 0.50" in sentence and "significantly worse (adjusted p=.001)" in sentence
