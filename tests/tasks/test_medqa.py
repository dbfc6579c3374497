"""MedQA made open-ended: the rewrite rules, the adapter and open-answer grading.

tests/fixtures/medqa_small.jsonl is in MedQA's format but its five questions were written for
these tests (made-up, medically correct vignettes); none is taken from MedQA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medtune.errors import UserError
from medtune.tasks.medqa import (REWRITES, grade_open_answer, normalize_answer, open_question,
                                 read_medqa, token_f1)

FIXTURE = Path(__file__).parent.parent / "fixtures" / "medqa_small.jsonl"


@pytest.mark.parametrize("question,expected,rule", [
    ("Of the following, which is the most likely diagnosis?",
     "Which is the most likely diagnosis?", "of_the_following_which"),
    ("His condition is most likely caused by which of the following?",
     "His condition is most likely caused by what?", "preposition_which_end"),
    ("The most likely cause is which of the following?", "The most likely cause is what?",
     "which_end"),
    ("Which of the following is the most likely diagnosis?",
     "What is the most likely diagnosis?", "which_verb"),
    ("Which of the following is the most appropriate next step in management?",
     "What is the most appropriate next step in management?", "which_verb"),
    ("Which of the following best explains these findings?",
     "What best explains these findings?", "which_verb"),
    ("Which of the following drugs most increases the risk?",
     "Which drugs most increases the risk?", "which_noun"),
    ("What is the diagnosis?", "What is the diagnosis?", None),
])
def test_each_rewrite_rule(question, expected, rule):
    assert open_question(question) == (expected, rule)


def test_every_rule_has_a_case():
    names = {name for name, _, _ in REWRITES}
    tested = {"of_the_following_which", "preposition_which_end", "which_end", "which_verb",
              "which_noun"}
    assert names == tested


def test_rewrite_keeps_the_vignette_and_lowercase_mid_sentence():
    q = "A man has chest pain. He asks which of the following is safest?"
    assert open_question(q)[0] == "A man has chest pain. He asks what is safest?"


def test_adapter_reads_the_fixture():
    exs = read_medqa(FIXTURE, seed=0)
    assert len(exs) == 5
    first = exs[0]
    assert first.prompt.endswith("What is the most likely diagnosis?")
    assert first.chosen == "Inferior myocardial infarction"
    assert first.label is None and first.split is None
    assert first.rejected in first.meta["options"].values() and first.rejected != first.chosen
    assert first.meta["answer_idx"] == "A" and first.meta["rewrite"] == "which_verb"
    assert len(first.meta["options"]) == 5 and first.meta["source_line"] == 1
    assert all("following" not in e.prompt for e in exs)
    assert all(not any(f"{k}:" in e.prompt for k in "ABCDE") for e in exs)  # no options shown
    assert len({e.id for e in exs}) == 5 and all(e.id.startswith("medqa-") for e in exs)


def test_adapter_filters_by_meta_info_and_is_seeded():
    exs = read_medqa(FIXTURE, meta_info="step2&3", seed=1)
    assert len(exs) == 4 and {e.meta["meta_info"] for e in exs} == {"step2&3"}
    again = read_medqa(FIXTURE, meta_info="step2&3", seed=1)
    assert [e.model_dump() for e in exs] == [e.model_dump() for e in again]
    rejected_by_seed = {tuple(e.rejected for e in read_medqa(FIXTURE, seed=s)) for s in range(8)}
    assert len(rejected_by_seed) > 1


def test_unknown_meta_info_lists_the_values(tmp_path):
    with pytest.raises(UserError) as info:
        read_medqa(FIXTURE, meta_info="step3")
    assert "'step1' (1), 'step2&3' (4)" in str(info.value)


def test_malformed_lines_are_reported_as_file_line(tmp_path):
    good = json.loads(FIXTURE.read_text().splitlines()[0])
    bad_idx = {**good, "answer_idx": "Z"}
    bad_answer = {**good, "question": "Another?", "answer": "Pericarditis"}
    no_options = {k: v for k, v in good.items() if k != "options"}
    f = tmp_path / "m.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in
                           [good, bad_idx, bad_answer, no_options, good]) + "\n")
    with pytest.raises(UserError) as info:
        read_medqa(f)
    probs = info.value.problems
    assert probs[0].startswith(f"{f}:2: answer_idx: 'Z' is not one of the option letters")
    assert probs[1].startswith(f"{f}:3: answer: 'Pericarditis' differs from option A")
    assert probs[2].startswith(f"{f}:4: options: expected an object")
    assert probs[3] == f"{f}:5: question: same question as line 1; drop one copy"
    assert len(probs) == 4


OPTIONS = {"A": "Iron deficiency anemia", "B": "Anemia of chronic disease",
           "C": "Beta-thalassemia minor", "D": "Vitamin B12 deficiency"}


def test_normalize_and_token_f1_by_hand():
    """'iron deficiency' vs 'iron deficiency anemia': 2 common tokens, precision 2/2,
    recall 2/3, F1 = 2*1*(2/3)/(1+2/3) = 0.8."""
    assert normalize_answer("The  Iron-deficiency anemia.") == "iron deficiency anemia"
    assert token_f1("iron deficiency", "Iron deficiency anemia") == pytest.approx(0.8)
    assert token_f1("", "x") == 0.0 and token_f1("asthma", "anemia") == 0.0


@pytest.mark.parametrize("answer,exact,closest,correct", [
    ("Iron deficiency anemia.", True, "A", True),
    ("The most likely diagnosis is iron deficiency anemia", True, "A", True),
    ("iron deficiency", False, None, False),  # names no option: closeness cannot make it right
    ("anemia of chronic disease", False, "B", False),
    ("iron deficiency anemia or anemia of chronic disease", False, "B", False),
    ("lead poisoning", False, None, False),
    ("sickle cell disease", False, None, False),  # "disease" is the only shared token
])
def test_grade_open_answer(answer, exact, closest, correct):
    g = grade_open_answer(answer, OPTIONS, "A")
    assert (g.exact, g.closest, g.correct) == (exact, closest, correct)
    assert set(g.f1) == set(OPTIONS)


BREAST = {"A": "Phyllodes tumor", "B": "Fibroadenoma", "C": "Fibrocystic disease",
          "D": "Invasive lobular carcinoma"}
# MedQA-style step 2&3 vignette (a rapidly enlarging, large, mobile breast mass in a woman in
# her 40s is the classic phyllodes presentation: Tan et al., J Clin Pathol 2012;65:69-76).
VIGNETTE = ("A 45-year-old woman comes to the physician because of a rapidly enlarging, painless "
            "mass in her left breast over 3 months. Examination shows a 7-cm, firm, mobile, "
            "well-circumscribed mass with overlying stretched skin. Biopsy shows leaf-like "
            "stromal projections with hypercellular stroma.")


@pytest.mark.parametrize("answer,named,correct", [
    # names none of the options; before, the shared word "tumor" made the gold the closest
    ("The most likely diagnosis is carcinoma in situ (CIS) breast cancer, a malignant tumor", (), False),
    ("Breast cancer", (), False),
    # names one option: right only when it is the gold
    ("This is most consistent with a phyllodes tumor of the breast.", ("A",), True),
    ("The most likely diagnosis is fibroadenoma.", ("B",), False),
    ("Invasive lobular carcinoma of the left breast", ("D",), False),
    # names two options: closeness breaks the tie between the named ones only
    ("Phyllodes tumor rather than a fibroadenoma", ("A", "B"), True),
    ("Fibroadenoma with fibrocystic disease", ("B", "C"), False),
])
def test_open_answer_must_name_the_gold_option(answer, named, correct):
    assert VIGNETTE  # the question these answers reply to
    g = grade_open_answer(answer, BREAST, "A")
    assert g.named == named and g.correct is correct
    if not named:
        assert g.closest is None


def test_reasoning_task_grades_medqa_records_by_named_options():
    from medtune.data.records import Example
    from medtune.tasks import get_task

    task = get_task("reasoning")
    ex = Example(id="q1", prompt=VIGNETTE + "\nWhat is the most likely diagnosis?", chosen="Phyllodes tumor",
                 label=None, meta={"options": BREAST, "answer_idx": "A"})
    assert task.score(ex, "The most likely diagnosis is carcinoma in situ (CIS) breast cancer") == {"accuracy": 0.0}
    assert task.score(ex, "Phyllodes tumor") == {"accuracy": 1.0}


def test_cli_writes_open_ended_jsonl(tmp_path):
    from typer.testing import CliRunner

    from medtune.cli.data import app

    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(app, ["medqa", str(FIXTURE), "--out", str(out),
                                      "--meta", "step2&3", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "wrote 4 open-ended questions" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4 and all("label" not in r and r["rejected"] for r in rows)
