"""Synthetic vignettes for the clinical reasoning task (tasks/reasoning.py).

Clinical reasoning, open-ended: a vignette -> the diagnosis or the first-line treatment.

The preprint's fourth task used MedQA step 2&3 questions with the options removed (see
tasks/medqa.py, whose output this task also grades). The synthetic generator builds vignettes
from the table in tasks/synthetic/conditions/ (classic presentation, key tests, diagnosis, first-line
treatment, each row with its source): the question asks for the diagnosis, or for the
first-line treatment where one is agreed; chosen is the answer; the rejected answer (strategy
``wrong_option``) is a plausible wrong one, a related condition's answer, kept in
``meta.wrong_answers``.

Scoring (per example, 0/1, so McNemar applies): the answer is right when it names the gold
answer (one of its accepted phrasings, normalized as in tasks/scoring/open_answers.py) and names
none of the related conditions' answers, so a hedge ("appendicitis or ectopic pregnancy") is
wrong. A record in MedQA's shape (``meta.options`` and ``meta.answer_idx``) is graded by
``medqa.grade_open_answer`` instead. Without either, the answer must name ``chosen``.
"""

from __future__ import annotations

import random

from medtune.tasks.synthetic.conditions import BY_KEY
from medtune.tasks.synthetic.conditions.row import Condition

OPENINGS = ("A {age}-year-old {noun} presents with {complaint}.",
            "A {age}-year-old {noun} is seen for {complaint}.",
            "{age}-year-old {noun} with {complaint}.",
            "A {age}-year-old {noun} comes in with {complaint}.")
EXAMS = ("Exam: {}.", "On examination: {}.", "Examination: {}.")
TESTS = ("{}.", "Investigations: {}.", "Workup: {}.")
DX_QUESTIONS = ("What is the most likely diagnosis?", "Which diagnosis best explains these "
                "findings?", "What is the diagnosis?", "What condition is most likely present?")
TX_QUESTIONS = ("What is the first-line treatment?", "What is the most appropriate first-line "
                "treatment?", "Which first-line treatment is indicated?")


def answer_for(c: Condition, question: str):
    return c.diagnosis if question == "diagnosis" else c.treatment


def _rivals(c: Condition, question: str) -> list[Condition]:
    return [BY_KEY[k] for k in (c.dx_rivals if question == "diagnosis" else c.tx_rivals)]


def write_vignette(rng: random.Random, c: Condition, question: str) -> tuple[str, dict]:
    female = c.sex == "female" or (c.sex == "any" and rng.random() < 0.5)
    age = rng.randint(*c.ages)
    parts = [rng.choice(OPENINGS).format(age=age, noun="woman" if female else "man",
                                         complaint=rng.choice(c.complaints))]
    if c.history:
        parts.append(rng.choice(c.history))
    parts.append(rng.choice(EXAMS).format(c.exam))
    tests = rng.choice(TESTS).format(c.tests)
    parts.append(tests[:1].upper() + tests[1:])
    parts += rng.sample(c.extras, rng.randint(0, min(2, len(c.extras))))
    if question == "diagnosis":
        ask = rng.choice(DX_QUESTIONS)
    else:
        ask = c.tx_question or rng.choice(TX_QUESTIONS)
    sex = "female" if female else "male"
    rivals = _rivals(c, question)
    # the rejected answer must be plausible for this patient: no ectopic pregnancy for a man
    fitting = [r for r in rivals if r.sex in ("any", sex)] or rivals
    meta = {
        "condition": c.key, "question": question, "age": age, "sex": sex,
        "accepted": [list(g) for g in answer_for(c, question).groups],
        "rivals": [[list(g) for g in answer_for(r, question).groups] for r in rivals],
        "wrong_answers": [answer_for(r, question).text for r in fitting],
    }
    return " ".join(parts) + "\n" + ask, meta
