"""Clinical reasoning, open-ended: a vignette -> the diagnosis or the first-line treatment.

The preprint's fourth task used MedQA step 2&3 questions with the options removed (see
tasks/medqa.py, whose output this task also grades). The synthetic generator builds vignettes
from the table in tasks/conditions.py (classic presentation, key tests, diagnosis, first-line
treatment, each row with its source): the question asks for the diagnosis, or for the
first-line treatment where one is agreed; chosen is the answer; the rejected answer (strategy
``wrong_option``) is a plausible wrong one, a related condition's answer, kept in
``meta.wrong_answers``.

Scoring (per example, 0/1, so McNemar applies): the answer is right when it names the gold
answer (one of its accepted phrasings, normalized as in evaluate/open_answers.py) and names
none of the related conditions' answers, so a hedge ("appendicitis or ectopic pregnancy") is
wrong. A record in MedQA's shape (``meta.options`` and ``meta.answer_idx``) is graded by
``medqa.grade_open_answer`` instead. Without either, the answer must name ``chosen``.
"""

from __future__ import annotations

import random

from medtune.data.records import Example
from medtune.evaluate.open_answers import names_only, normalize_answer
from medtune.tasks import register_task
from medtune.tasks.base import Outcome, Task
from medtune.tasks.conditions import BY_KEY, CONDITIONS, Condition
from medtune.tasks.medqa import SYSTEM_PROMPT, grade_open_answer

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


def _answer(c: Condition, question: str):
    return c.diagnosis if question == "diagnosis" else c.treatment


def _rivals(c: Condition, question: str) -> list[Condition]:
    return [BY_KEY[k] for k in (c.dx_rivals if question == "diagnosis" else c.tx_rivals)]


def _vignette(rng: random.Random, c: Condition, question: str) -> tuple[str, dict]:
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
        "accepted": [list(g) for g in _answer(c, question).groups],
        "rivals": [[list(g) for g in _answer(r, question).groups] for r in rivals],
        "wrong_answers": [_answer(r, question).text for r in fitting],
    }
    return " ".join(parts) + "\n" + ask, meta


@register_task
class ReasoningTask(Task):
    """Open-ended clinical reasoning; one outcome, ``accuracy`` (per example: correct 0/1)."""

    name = "reasoning"
    kind = "open_qa"
    description = ("Clinical vignette -> the most likely diagnosis or the first-line treatment, "
                   "in a few words; right when it names the answer (or an accepted synonym) and "
                   "no related wrong answer.")
    system_prompt = SYSTEM_PROMPT
    outcomes = (Outcome("accuracy", "binary"),)
    default_rejected = "wrong_option"
    max_new_tokens = 24

    def correct(self, example: Example, text: str) -> bool:
        meta = example.meta or {}
        if isinstance(meta.get("options"), dict) and meta.get("answer_idx") in meta["options"]:
            return grade_open_answer(text, meta["options"], meta["answer_idx"]).correct
        accepted = meta.get("accepted") or [[example.chosen]]
        return names_only(text, accepted, meta.get("rivals") or [])

    def score(self, example: Example, text: str) -> dict[str, float]:
        return {"accuracy": float(self.correct(example, text))}

    def is_wrong(self, example: Example, text: str) -> bool:
        return bool(text.strip()) and not self.correct(example, text)

    def generate(self, n: int, seed: int) -> list[Example]:
        """n vignettes cycling through every (condition, question) pair in a fresh seeded
        order each round, so the conditions come in equal shares; every prompt is distinct.
        Deterministic by seed."""
        rng = random.Random(seed)
        items = [(c, "diagnosis") for c in CONDITIONS]
        items += [(c, "treatment") for c in CONDITIONS if c.treatment is not None]
        order: list[tuple[Condition, str]] = []
        seen: set[str] = set()
        out = []
        for i in range(n):
            if not order:
                order = rng.sample(items, len(items))
            c, question = order.pop()
            for _ in range(100):
                prompt, meta = _vignette(rng, c, question)
                if normalize_answer(prompt) not in seen:
                    break
            else:
                raise AssertionError(f"no new vignette for {c.key}/{question}; add phrasings")
            seen.add(normalize_answer(prompt))
            out.append(Example(id=f"reasoning-{seed}-{i:05d}", prompt=prompt,
                               chosen=_answer(c, question).text, label=None, meta=meta))
        return out
