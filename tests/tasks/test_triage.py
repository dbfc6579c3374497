"""The synthetic triage task: two endpoints (urgency, provider), each label following the
stated criteria on the facts recorded in meta, for every generated example."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from medtune.tasks import get_task
from medtune.tasks.synthetic.triage import DISTRACTORS
from medtune.tasks.triage import TriageTask

N = 500
CLINICAL = {"new_symptom", "worsening_symptom", "medication_reaction", "mental_health",
            "abnormal_result", "stable_symptom", "medication_question", "medication_change"}
ADMIN = {"refill", "scheduling", "form", "records", "billing", "normal_result", "referral"}


@pytest.fixture(scope="module")
def task() -> TriageTask:
    return get_task("triage")


@pytest.fixture(scope="module")
def examples(task):
    return task.generate(N, seed=0)


def message(prompt: str) -> str:
    return re.fullmatch(r'Patient portal message:\n"(.*)"\n\n.*', prompt, re.S).group(1)


def expected_label(meta: dict) -> dict[str, str]:
    """The docstring's criteria, restated: urgent for a red-flag symptom, a critical medicine
    running out within 24 h, or a care-delaying deadline within 24 h; physician when the
    request needs clinical judgement."""
    critical_soon = meta["critical_medication"] and meta["hours_until_out"] <= 24
    deadline_soon = meta["deadline_hours"] is not None and meta["deadline_hours"] <= 24
    urgent = bool(meta["red_flags"]) or critical_soon or deadline_soon
    return {"urgency": "urgent" if urgent else "non-urgent",
            "provider": "physician" if meta["request"] in CLINICAL else "medical assistant"}


def test_registered(task):
    assert isinstance(task, TriageTask)
    assert [(e.name, e.labels, e.positive) for e in task.endpoints] == [
        ("urgency", ("urgent", "non-urgent"), "urgent"),
        ("provider", ("physician", "medical assistant"), "physician")]


def test_same_seed_same_output(task):
    a = [e.model_dump() for e in task.generate(60, seed=5)]
    b = [e.model_dump() for e in task.generate(60, seed=5)]
    assert a == b


def test_different_seeds_differ(task):
    a = [e.prompt for e in task.generate(60, seed=1)]
    b = [e.prompt for e in task.generate(60, seed=2)]
    assert a != b


def test_record_shape(task, examples):
    for i, ex in enumerate(examples):
        assert ex.id == f"triage-0-{i:05d}"
        assert ex.split is None and ex.rejected is None
        assert ex.chosen == task.answer(ex.label)
        assert re.fullmatch(
            r"urgency: (urgent|non-urgent); provider: (physician|medical assistant)", ex.chosen)
        assert ex.prompt.endswith("provider: <physician|medical assistant>")


def test_labels_follow_rules_from_meta(examples):
    for ex in examples:
        m = ex.meta
        assert m["request"] in CLINICAL | ADMIN, ex.id
        assert ex.label == expected_label(m), (ex.id, m)
        if m["emergency"]:  # a reply must say call 911 / go to the ED: always urgent, clinical
            assert ex.label == {"urgency": "urgent", "provider": "physician"}, ex.id
        if m["red_flags"]:
            assert ex.label["provider"] == "physician", ex.id


def test_all_four_combinations_and_balance(task):
    for seed, n in [(0, 500), (1, 500), (2, 333)]:
        exs = task.generate(n, seed)
        cells = Counter((e.label["urgency"], e.label["provider"]) for e in exs)
        assert len(cells) == 4 and min(cells.values()) >= 0.05 * n, cells
        urgent = sum(e.label["urgency"] == "urgent" for e in exs) / n
        physician = sum(e.label["provider"] == "physician" for e in exs) / n
        assert 0.45 <= urgent <= 0.55 and 0.45 <= physician <= 0.55


def test_every_distractor_appears(examples):
    seen = {d for e in examples for d in e.meta["distractors"]}
    assert seen == set(DISTRACTORS)
    # the contrast pairs: a critical medicine refill is urgent only when it runs out today
    refills = [e for e in examples
               if e.meta["request"] == "refill" and e.meta["critical_medication"]]
    assert {e.label["urgency"] for e in refills} == {"urgent", "non-urgent"}


def test_word_counts(examples):
    counts = [len(message(e.prompt).split()) for e in examples]
    assert 30 <= min(counts) and max(counts) <= 70


def test_prompts_mostly_unique(examples):
    assert len({e.prompt for e in examples}) >= 0.95 * N


def test_labels_validate(task, examples):
    assert all(task.validate_label(e.label) is None for e in examples)


def test_answer_parse_round_trip(task):
    cands = task.candidates()
    assert len(cands) == 4
    for label, text in cands:
        assert text == f"urgency: {label['urgency']}; provider: {label['provider']}"
        assert task.parse(text) == label


@pytest.mark.parametrize("text,expected", [
    ("Urgency: Nonurgent; Provider: Medical Assistant",
     {"urgency": "non-urgent", "provider": "medical assistant"}),
    ("urgency: non urgent; provider: physician",
     {"urgency": "non-urgent", "provider": "physician"}),
    ("This is urgent and needs a physician.", {"urgency": "urgent", "provider": "physician"}),
    ("urgency: urgent; provider: physician; urgency: non-urgent", None),
    ("urgency: urgent", None),
    ("I am not sure.", None),
])
def test_parse_variants(task, text, expected):
    assert task.parse(text) == expected


def test_answer_rejects_bad_labels(task):
    with pytest.raises(ValueError):
        task.answer("urgent")
    with pytest.raises(ValueError):
        task.answer({"urgency": "soon", "provider": "physician"})
