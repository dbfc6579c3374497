"""Clinical reasoning, open-ended: a vignette -> the diagnosis or the first-line treatment.

Vignettes come from tasks/synthetic/reasoning.py (built from the conditions table in
tasks/synthetic/conditions/); how an answer is scored is in that module's docstring.
"""

from __future__ import annotations

import random

from medtune.data.records import Example
from medtune.tasks.scoring.open_answers import names_only, normalize_answer
from medtune.tasks import register_task
from medtune.tasks.base import Outcome, Task
from medtune.tasks.medqa import SYSTEM_PROMPT, grade_open_answer
from medtune.tasks.synthetic.conditions import CONDITIONS
from medtune.tasks.synthetic.conditions.row import Condition
from medtune.tasks.synthetic.reasoning import answer_for, write_vignette

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
                prompt, meta = write_vignette(rng, c, question)
                if normalize_answer(prompt) not in seen:
                    break
            else:
                raise AssertionError(f"no new vignette for {c.key}/{question}; add phrasings")
            seen.add(normalize_answer(prompt))
            out.append(Example(id=f"reasoning-{seed}-{i:05d}", prompt=prompt,
                               chosen=answer_for(c, question).text, label=None, meta=meta))
        return out
