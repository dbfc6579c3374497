"""Key-fact coverage and ROUGE-L."""

import pytest

from medtune.tasks.scoring.summaries import key_fact_coverage, rouge_l


def test_key_fact_coverage_counts_named_facts():
    facts = [[["pneumonia"]], [["amoxicillin-clavulanate", "augmentin"]],
             [["primary care", "PCP"], ["1 week", "one week"]]]
    assert key_fact_coverage("Pneumonia; discharged on Augmentin; PCP in one week.", facts) == 1.0
    assert key_fact_coverage("Pneumonia, PCP follow-up.", facts) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        key_fact_coverage("x", [])


def test_rouge_l_by_hand():
    """reference "the patient was admitted with pneumonia" (6 tokens), summary "admitted with
    community acquired pneumonia" (5 tokens): LCS "admitted with pneumonia" = 3, so recall
    3/6, precision 3/5, F = 2 * 0.6 * 0.5 / 1.1 = 0.5454..."""
    assert rouge_l("admitted with community acquired pneumonia",
                   "the patient was admitted with pneumonia") == pytest.approx(6 / 11)
    assert rouge_l("same words here", "same words here") == 1.0
    assert rouge_l("", "reference") == 0.0
