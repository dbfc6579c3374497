"""Triage: patient portal messages, labelled for urgency and for the responding provider.

Urgency: urgent when the message needs same-day clinical attention; provider: physician when
the reply needs clinical judgement, medical assistant when it is administrative. The criteria,
their sources (nurse telephone triage protocols) and the message generator are in
tasks/synthetic/triage.py.
"""

from __future__ import annotations

import random
import re

from medtune.data.records import Example
from medtune.tasks import register_task
from medtune.tasks.base import Endpoint, Label, Task, draw_fitting
from medtune.tasks.synthetic.triage import (MAX_WORDS, MIN_WORDS, QUOTAS, provider_of,
                                            urgency_of, write_message)

# Kept short on purpose: every prompt token is paid for in every training step on a CPU.
INSTRUCTION = ("Triage: urgent = needs same-day clinical attention; physician = needs clinical "
               "judgement, medical assistant = administrative. Answer as: "
               "urgency: <urgent|non-urgent>; provider: <physician|medical assistant>")


@register_task
class TriageTask(Task):
    """Portal message triage on two endpoints: urgency and responding provider (criteria in
    tasks/synthetic/triage.py). The answer is exactly "urgency: <u>; provider: <p>"."""

    name = "triage"
    kind = "classification"
    description = ("Triage a patient portal message. Urgency: urgent when it needs same-day "
                   "clinical attention (red-flag symptoms, a critical medicine running out "
                   "within 24 h), else non-urgent. Provider: physician when it needs clinical "
                   "judgement, medical assistant when it is administrative.")
    system_prompt = "You triage patient portal messages."
    endpoints = (Endpoint("urgency", ("urgent", "non-urgent"), positive="urgent"),
                 Endpoint("provider", ("physician", "medical assistant"), positive="physician"))

    def answer(self, label: Label) -> str:
        values = self.label_dict(label)
        if problem := self.validate_label(values):
            raise ValueError(f"bad triage label {label!r}: {problem}")
        return f"urgency: {values['urgency']}; provider: {values['provider']}"

    def parse(self, text: str) -> Label | None:
        """Per endpoint: the value after "urgency:" / "provider:" if the answer has one,
        else the label word found anywhere (as the base class does); None when an endpoint
        has no value or conflicting ones. "nonurgent" and "non urgent" read as "non-urgent"."""
        low = re.sub(r"\bnon[\s-]?urgent\b", "non-urgent", text.lower())
        values = {}
        for ep in self.endpoints:
            options = "|".join(re.escape(lab) for lab in sorted(ep.labels, key=len, reverse=True))
            found = set(re.findall(rf"\b{ep.name}\s*[:=]\s*({options})\b", low))
            if not found:
                found = {lab for lab in ep.labels if re.search(rf"\b{re.escape(lab)}\b", low)}
                # "non-urgent" contains "urgent": keep the longer label
                found = {f for f in found if not any(f != g and f in g for g in found)}
            if len(found) != 1:
                return None
            values[ep.name] = found.pop()
        return values

    def render_prompt(self, message: str) -> str:
        return f'Patient portal message:\n"{message}"\n\n{INSTRUCTION}'

    def generate(self, n: int, seed: int) -> list[Example]:
        """n messages, the four (urgency, provider) cells in QUOTAS shares, shuffled;
        deterministic by seed."""
        rng = random.Random(seed)
        cells = [c for c, share in QUOTAS.items() for _ in range(int(share * n))]
        cells += [rng.choice(list(QUOTAS)) for _ in range(n - len(cells))]
        rng.shuffle(cells)
        out = []
        for i, cell in enumerate(cells):
            message, meta = draw_fitting(rng, lambda r: write_message(r, cell), MIN_WORDS, MAX_WORDS, f"{cell} message")
            label = {"urgency": urgency_of(meta), "provider": provider_of(meta)}
            assert (label["urgency"], label["provider"]) == cell, (cell, meta)
            out.append(Example(id=f"triage-{seed}-{i:05d}", prompt=self.render_prompt(message),
                               chosen=self.answer(label), label=label, meta=meta))
        return out
