"""The reasoning task: the conditions table, the generator and open-answer grading."""

from collections import Counter

import pytest

from medtune.data.records import Example
from medtune.tasks.scoring.open_answers import names_only
from medtune.tasks import get_task
from medtune.tasks.synthetic.conditions import BY_KEY, CONDITIONS

TASK = get_task("reasoning")


def _spec(answer):
    return [list(g) for g in answer.groups]


def test_table_is_consistent():
    assert len(BY_KEY) == len(CONDITIONS) >= 25
    for c in CONDITIONS:
        assert c.sex in ("any", "female", "male") and c.ages[0] < c.ages[1]
        assert c.dx_rivals, c.key
        for r in c.dx_rivals + c.tx_rivals:
            assert r in BY_KEY and r != c.key, (c.key, r)
        if c.treatment is None:
            assert not c.tx_rivals and c.tx_question is None, c.key
        else:
            assert c.tx_rivals, c.key
            assert all(BY_KEY[r].treatment is not None for r in c.tx_rivals), c.key


@pytest.mark.parametrize("c", CONDITIONS, ids=lambda c: c.key)
def test_every_accepted_phrasing_is_right_and_every_rival_wrong(c):
    for question, answer, rivals in (("dx", c.diagnosis, c.dx_rivals), ("tx", c.treatment, c.tx_rivals)):
        if answer is None:
            continue
        rival_answers = [BY_KEY[r].diagnosis if question == "dx" else BY_KEY[r].treatment for r in rivals]
        rival_specs = [_spec(a) for a in rival_answers]
        first = [g[0] for g in answer.groups]
        for g, group in enumerate(answer.groups):
            for phrase in group:
                text = " and ".join(first[:g] + [phrase] + first[g + 1:])
                assert names_only(text, _spec(answer), rival_specs), (c.key, question, text)
        for rival in rival_answers:
            assert not names_only(rival.text, _spec(answer), rival_specs), (c.key, rival.text)
            assert not names_only(f"{answer.text} or {rival.text}", _spec(answer), rival_specs)


def test_generate_is_deterministic_distinct_and_balanced():
    a, b = TASK.generate(120, 3), TASK.generate(120, 3)
    assert [e.model_dump() for e in a] == [e.model_dump() for e in b]
    assert TASK.generate(10, 4)[0].prompt != a[0].prompt
    assert len({e.prompt for e in a}) == 120
    pairs = sum(1 for c in CONDITIONS) + sum(1 for c in CONDITIONS if c.treatment)
    counts = Counter((e.meta["condition"], e.meta["question"]) for e in TASK.generate(2 * pairs, 0))
    assert len(counts) == pairs and set(counts.values()) == {2}, "every pair twice in two rounds"


def test_generated_examples_grade_their_own_answers():
    for ex in TASK.generate(150, 1):
        assert ex.label is None and ex.rejected is None
        assert ex.prompt.endswith("?")
        assert TASK.score(ex, ex.chosen) == {"accuracy": 1.0}
        assert TASK.score(ex, f"The answer is {ex.chosen.lower()}.") == {"accuracy": 1.0}
        assert ex.meta["wrong_answers"]
        for wrong in ex.meta["wrong_answers"]:
            assert TASK.score(ex, wrong) == {"accuracy": 0.0}
            assert TASK.is_wrong(ex, wrong)
        assert not TASK.is_wrong(ex, ex.chosen) and not TASK.is_wrong(ex, "  ")


def test_wrong_answers_fit_the_patient():
    """An appendicitis vignette about a man never gets "ectopic pregnancy" as its rejected
    answer, though the grader still counts that hedge as wrong."""
    men = [e for e in TASK.generate(400, 2) if e.meta["condition"] == "appendicitis"
           and e.meta["question"] == "diagnosis" and e.meta["sex"] == "male"]
    assert men
    for e in men:
        assert "ectopic pregnancy" not in e.meta["wrong_answers"]
        assert TASK.score(e, "appendicitis or ectopic pregnancy") == {"accuracy": 0.0}
        assert " man " in f" {e.prompt} "


def test_vignette_reads_like_one():
    ex = TASK.generate(1, 0)[0]
    c = BY_KEY[ex.meta["condition"]]
    assert c.exam in ex.prompt and c.tests[1:] in ex.prompt
    assert any(x in ex.prompt for x in c.complaints)
    assert 25 <= len(ex.prompt.split()) <= 110


def test_medqa_shaped_records_are_graded_by_their_options():
    ex = Example(id="q1", prompt="A man has crushing chest pain... What is the most likely diagnosis?",
                 chosen="Inferior myocardial infarction",
                 meta={"options": {"A": "Inferior myocardial infarction", "B": "Aortic dissection"},
                       "answer_idx": "A"})
    assert TASK.score(ex, "inferior MI, i.e. inferior myocardial infarction") == {"accuracy": 1.0}
    assert TASK.score(ex, "aortic dissection") == {"accuracy": 0.0}


def test_a_users_record_is_graded_against_chosen():
    ex = Example(id="u1", prompt="Vignette?", chosen="Kawasaki disease")
    assert TASK.validate_label(None) is None
    assert TASK.score(ex, "This is Kawasaki disease.") == {"accuracy": 1.0}
    assert TASK.score(ex, "measles") == {"accuracy": 0.0}
