"""The summarization task: notes from structured facts, gold summaries, scoring."""

from collections import Counter

import pytest

from medtune.data.records import Example
from medtune.tasks import get_task
from medtune.tasks.synthetic.discharge import BY_KEY, SCENARIOS

TASK = get_task("summarization")
SECTIONS = ("History:", "Hospital course:", "Procedures:", "Discharge diagnosis:",
            "Discharge medications:", "Follow-up:")


@pytest.fixture(scope="module")
def examples():
    return TASK.generate(64, 7)


def test_generate_is_deterministic_and_balanced(examples):
    again = TASK.generate(64, 7)
    assert [e.model_dump() for e in again] == [e.model_dump() for e in examples]
    assert set(Counter(e.meta["scenario"] for e in examples).values()) == {64 // len(SCENARIOS)}


def test_note_has_every_section_and_states_the_facts(examples):
    for ex in examples:
        sc = BY_KEY[ex.meta["scenario"]]
        for section in SECTIONS:
            assert section in ex.prompt
        for med in sc.meds:
            assert med.order in ex.prompt and med.confuser not in ex.prompt
        assert sc.follow_up in ex.prompt and sc.diagnosis in ex.prompt
        for item in ex.meta["history"]:
            assert item in ex.prompt


def test_note_length_fits_the_cpu_budget(examples):
    words = [len(e.prompt.split()) for e in examples]
    assert min(words) >= 90 and max(words) <= 170


def test_gold_summary_is_two_or_three_sentences_covering_every_key_fact(examples):
    from medtune.tasks.synthetic.summarization import _sentences

    for ex in examples:
        assert 2 <= len(_sentences(ex.chosen)) <= 3, ex.chosen
        assert ex.chosen.startswith(str(ex.meta["age"]))
        scores = TASK.score(ex, ex.chosen)
        assert scores == {"coverage": 1.0, "rouge_l": 1.0}


def test_wrong_summaries_miss_or_misstate_a_key_fact(examples):
    for ex in examples:
        swapped, short = ex.meta["wrong_answers"]
        assert TASK.score(ex, swapped)["coverage"] < 1.0 and TASK.is_wrong(ex, swapped)
        assert TASK.score(ex, short)["coverage"] < TASK.score(ex, swapped)["coverage"]
        assert not TASK.is_wrong(ex, ex.chosen)


def test_coverage_counts_paraphrases():
    ex = next(e for e in TASK.generate(16, 0) if e.meta["scenario"] == "pneumonia")
    text = ("Admitted with CAP, given intravenous antibiotics; home on Augmentin, "
            "PCP in one week.")
    assert TASK.score(ex, text)["coverage"] == 1.0
    assert TASK.score(ex, "Pneumonia.")["coverage"] == pytest.approx(0.25)


def test_users_record_without_key_facts_has_no_coverage():
    ex = Example(id="n1", prompt="Discharge note ...", chosen="Admitted with sepsis, home on cefalexin.")
    scores = TASK.score(ex, "Admitted with sepsis.")
    assert scores["coverage"] is None and 0 < scores["rouge_l"] < 1
    assert TASK.is_wrong(ex, "Admitted with sepsis.")
