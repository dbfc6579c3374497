"""Synthetic discharge notes and gold summaries for tasks/summarization.py.

Summarization: a discharge note -> 2-3 sentences for the internist taking over.

The preprint's third task summarized discharge notes; its summaries were judged on a 5-point
Likert scale by GPT-4 (the graders issue brings that judge). The synthetic notes here are
written from structured facts (tasks/synthetic/discharge.py: reason for admission, history, hospital
course, procedures, discharge diagnosis, medications, follow-up), kept in ``meta``, so a
summary can be scored without a judge:

- ``coverage``: the share of the key facts the summary names (the primary metric);
- ``rouge_l``: ROUGE-L F-measure against the gold summary (tasks/scoring/summaries.py).

A record without ``meta.key_facts`` (the user's own notes) has no coverage; it is left out of
that metric's mean and tests and scored by ROUGE-L only.

The rejected answer (strategy ``wrong_option``) is one of two flawed summaries kept in
``meta.wrong_answers``: the gold one with a discharge medicine swapped for one the patient was
not started on, or its first sentence alone (no medicines, no follow-up). The paper's own
choice, a weaker model's summary, is strategy ``weaker_model``. Notes are kept to 80-140 words
(prompts of about 200-290 SmolLM2 tokens, gold summaries 50-90) because every prompt token
costs training time on a CPU.
"""

from __future__ import annotations

import random
import re

from medtune.tasks.synthetic.discharge import Scenario

MIN_WORDS, MAX_WORDS = 80, 140
TITLES = ("DISCHARGE SUMMARY", "Discharge summary", "Hospital discharge note")
PATIENT = ("Patient: {who}. Length of stay: {days} days.", "{who}, admitted {days} days.",
           "Patient: {who}; inpatient for {days} days.")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sentences(text: str) -> list[str]:
    # "H. pylori" is no sentence end: a new sentence starts with a capital or a digit
    return re.split(r"(?<=\.)\s+(?=[A-Z0-9])", text)


def write_note(rng: random.Random, sc: Scenario) -> tuple[str, dict]:
    female = rng.random() < 0.5
    age = rng.randint(*sc.ages)
    person = f"{age}-year-old {'woman' if female else 'man'}"
    history = {**sc.known, **dict(rng.sample(sorted(sc.history.items()),
                                             rng.randint(0, min(2, len(sc.history)))))}
    days = rng.randint(*sc.stay)
    home = [m for m in history.values() if m and not m.endswith(": STOPPED")]
    stopped = [m.removesuffix(": STOPPED") for m in history.values() if m and m.endswith(": STOPPED")]
    meds = "NEW: " + "; ".join(m.order for m in sc.meds) + "."
    if home:
        meds += " CONTINUE: " + "; ".join(home) + "."
    if stopped:
        meds += " STOPPED: " + "; ".join(stopped) + "."
    lines = [
        rng.choice(TITLES),
        rng.choice(PATIENT).format(who=person[:1].upper() + person[1:], days=days),
        f"{rng.choice(('Reason for admission', 'Admitted for', 'Presenting complaint'))}: "
        f"{rng.choice(sc.reasons)}.",
        f"History: {', '.join(history) if history else 'no significant past history'}.",
        "Hospital course: " + " ".join(sc.course),
        f"Procedures: {sc.procedures}.",
        f"Discharge diagnosis: {sc.diagnosis}.",
        f"Discharge medications: {meds}",
        f"Follow-up: {sc.follow_up}.",
    ]
    who = person + (f" with {_join(list(history))}" if history else "")
    gold = rng.choice(sc.summaries).format(who=who, days=days)
    gold = gold[:1].upper() + gold[1:]
    swapped = rng.choice(sc.meds)
    assert swapped.fact.text in gold, (sc.key, swapped.fact.text)
    wrong = [gold.replace(swapped.fact.text, swapped.confuser), _sentences(gold)[0]]
    meta = {
        "scenario": sc.key, "age": age, "sex": "female" if female else "male",
        "history": list(history), "length_of_stay": days, "summary": gold,
        "key_facts": [{"fact": f.text, "accepted": [list(g) for g in f.groups]}
                      for f in (*sc.facts, *(m.fact for m in sc.meds))],
        "wrong_answers": wrong,
    }
    return "\n".join(lines), meta
