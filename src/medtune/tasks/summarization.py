"""Summarization: a discharge note -> 2-3 sentences for the internist taking over.

Scored without a judge by key-fact coverage (primary) and ROUGE-L against the gold summary.
The notes, their facts and the flawed summaries used as rejected answers come from
tasks/synthetic/summarization.py (admissions in tasks/synthetic/discharge.py).
"""

from __future__ import annotations

import random

from medtune.data.records import Example
from medtune.tasks.scoring.open_answers import normalize_answer
from medtune.tasks.scoring.summaries import key_fact_coverage, rouge_l
from medtune.tasks import register_task
from medtune.tasks.base import Outcome, Task, draw_fitting, equal_shares
from medtune.tasks.synthetic.discharge import SCENARIOS
from medtune.tasks.synthetic.summarization import MAX_WORDS, MIN_WORDS, write_note

INSTRUCTION = ("Summarize this admission in 2-3 sentences for the internist taking over: "
               "diagnosis, treatment, discharge medicines and follow-up.")


@register_task
class SummarizationTask(Task):
    """Discharge note -> 2-3 sentence summary; outcomes ``coverage`` and ``rouge_l``."""

    name = "summarization"
    kind = "summarization"
    description = ("Summarize a discharge note in 2-3 sentences for an internist; scored by "
                   "key-fact coverage (diagnosis, treatment, new medicines, follow-up) and "
                   "ROUGE-L against the gold summary.")
    system_prompt = "You write brief, accurate discharge summaries for physicians."
    outcomes = (Outcome("coverage", "continuous"), Outcome("rouge_l", "continuous"))
    default_rejected = "wrong_option"
    max_new_tokens = 128

    def render_prompt(self, note: str) -> str:
        return f"{note}\n\n{INSTRUCTION}"

    def score(self, example: Example, text: str) -> dict[str, float | None]:
        facts = (example.meta or {}).get("key_facts")
        coverage = key_fact_coverage(text, [f["accepted"] for f in facts]) if facts else None
        return {"coverage": coverage, "rouge_l": rouge_l(text, example.chosen)}

    def is_wrong(self, example: Example, text: str) -> bool:
        """A flawed summary: not empty, not the gold one, and (when the key facts are known)
        missing at least one of them. A summary that names every key fact may still be
        worse, but without a judge nothing here can tell."""
        if not text.strip() or normalize_answer(text) == normalize_answer(example.chosen):
            return False
        coverage = self.score(example, text)["coverage"]
        return coverage is None or coverage < 1.0

    def generate(self, n: int, seed: int) -> list[Example]:
        """n notes, the scenarios in equal shares (remainder at random), shuffled;
        deterministic by seed."""
        rng = random.Random(seed)
        out = []
        for i, sc in enumerate(equal_shares(rng, SCENARIOS, n)):
            note, meta = draw_fitting(rng, lambda r: write_note(r, sc), MIN_WORDS, MAX_WORDS,
                                      f"{sc.key} note")
            out.append(Example(id=f"summarization-{seed}-{i:05d}", prompt=self.render_prompt(note),
                               chosen=meta.pop("summary"), label=None, meta=meta))
        return out
