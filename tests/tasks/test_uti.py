"""The synthetic UTI task: the label follows the paper's rule (pyuria AND >=1 lower urinary
tract symptom) on the facts recorded in meta, for every generated example."""

from __future__ import annotations

import re

import pytest

from medtune.tasks import get_task
from medtune.tasks.synthetic.uti import DISTRACTORS, LUTS, NEGATIVE_CASES
from medtune.tasks.uti import UTITask

N = 500


@pytest.fixture(scope="module")
def task() -> UTITask:
    return get_task("uti")


@pytest.fixture(scope="module")
def examples(task):
    return task.generate(N, seed=0)


def passage(prompt: str) -> str:
    return prompt.split("\n\nQuestion:")[0].removeprefix("Clinical note:\n")


def test_registered(task):
    assert isinstance(task, UTITask)
    assert [(e.name, e.labels, e.positive) for e in task.endpoints] == [
        ("uti", ("yes", "no"), "yes")]
    assert "pyuria" in task.description and "dysuria" in task.description


def test_same_seed_same_output(task):
    a = [e.model_dump() for e in task.generate(60, seed=11)]
    b = [e.model_dump() for e in task.generate(60, seed=11)]
    assert a == b


def test_different_seeds_differ(task):
    a = [e.prompt for e in task.generate(60, seed=1)]
    b = [e.prompt for e in task.generate(60, seed=2)]
    assert a != b
    assert len(set(a) & set(b)) < 5


def test_record_shape(task, examples):
    assert len(examples) == N
    for i, ex in enumerate(examples):
        assert ex.id == f"uti-0-{i:05d}"
        assert ex.split is None and ex.rejected is None
        assert ex.chosen == task.answer(ex.label) == ex.label
        assert isinstance(ex.prompt, str)
        assert ex.prompt.endswith("UTI? Answer yes or no.")


def test_label_follows_rule_from_meta(examples):
    for ex in examples:
        m = ex.meta
        expected = "yes" if m["pyuria"] and len(m["symptoms"]) >= 1 else "no"
        assert ex.label == expected, (ex.id, m)
        assert set(m["symptoms"]) <= set(LUTS)


def test_meta_is_medically_consistent(examples):
    """Stated WBC counts sit on the right side of the >=10/hpf pyuria threshold and appear in
    the text; and no case where the rule and clinical judgement could disagree is generated
    (pyuria with flank pain or fever but no LUTS would be pyelonephritis)."""
    for ex in examples:
        m = ex.meta
        if m["wbc_per_hpf"] is not None:
            assert (m["wbc_per_hpf"] >= 10) == m["pyuria"], (ex.id, m)
            assert re.search(rf"\b{m['wbc_per_hpf']}\b", passage(ex.prompt)), ex.id
        if m["pyuria"] and not m["symptoms"]:
            assert not m["fever"] and not m["flank_pain"], (ex.id, m)
        if "vaginal_symptoms" in m["distractors"]:
            assert not m["pyuria"] and m["sex"] == "female"
        if "catheter_bacteriuria" in m["distractors"]:
            assert not m["pyuria"] and not m["symptoms"]


@pytest.mark.parametrize("seed,n", [(0, 500), (1, 500), (2, 501), (3, 99)])
def test_balance(task, seed, n):
    exs = task.generate(n, seed)
    share = sum(e.label == "yes" for e in exs) / n
    assert 0.45 <= share <= 0.55


def test_every_distractor_and_case_appears(examples):
    negatives = [e for e in examples if e.label == "no"]
    seen = {d for e in negatives for d in e.meta["distractors"]}
    assert seen == set(DISTRACTORS)
    assert {e.meta["case"] for e in negatives} == set(NEGATIVE_CASES)
    # distractors also appear with a positive label, so they cannot be shortcuts to "no"
    assert any("flank_pain" in e.meta["distractors"] for e in examples if e.label == "yes")
    # pyuria alone and symptoms alone both occur among the negatives
    assert any(e.meta["pyuria"] and not e.meta["symptoms"] for e in negatives)
    assert any(e.meta["symptoms"] and not e.meta["pyuria"] for e in negatives)


def test_word_counts(examples):
    counts = [len(passage(e.prompt).split()) for e in examples]
    assert 35 <= min(counts) and max(counts) <= 70


def test_prompts_mostly_unique(examples):
    assert len({e.prompt for e in examples}) >= 0.95 * N


def test_labels_validate(task, examples):
    assert all(task.validate_label(e.label) is None for e in examples)


def test_answer_parse_round_trip(task):
    cands = task.candidates()
    assert sorted(lab for lab, _ in cands) == ["no", "yes"]
    for label, text in cands:
        assert text == label
        assert task.parse(text) == label


def test_parse_and_answer_edges(task):
    assert task.parse("Yes.") == "yes"
    assert task.parse("No") == "no"
    assert task.parse("maybe") is None
    assert task.parse("yes or no") is None
    with pytest.raises(ValueError):
        task.answer("maybe")
