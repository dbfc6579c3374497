"""Rubrics: what a judge is asked, and the strict parse of its reply.

A reply that does not match the expected form exactly is unparseable (None), never guessed:
"4 or 5" or "Probably correct" are recorded as unparseable, not as a 4 or as correct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Verdict = int | bool


@dataclass(frozen=True)
class Rubric:
    name: str
    kind: Literal["likert", "binary"]
    needs_gold: bool
    instructions: str
    pattern: re.Pattern[str]
    question: str  # shown to physicians in the grading app

    @property
    def choices(self) -> list[Verdict]:
        return [1, 2, 3, 4, 5] if self.kind == "likert" else [True, False]

    @property
    def kappa_weights(self) -> Literal["quadratic", "none"]:
        """How disagreement is weighted in Cohen's kappa: by distance on a Likert scale."""
        return "quadratic" if self.kind == "likert" else "none"

    @property
    def words(self) -> list[str]:
        """The replies that parse, as a structured-output choice list (judges/structured.py)."""
        return [str(c) for c in self.choices] if self.kind == "likert" else ["correct", "incorrect"]

    def messages(self, prompt: str, output: str, gold: str | None = None) -> list[dict[str, str]]:
        parts = [f"## Input\n{prompt}"]
        if self.needs_gold:
            if gold is None:
                raise ValueError(f"rubric {self.name} needs the gold answer")
            parts.append(f"## Gold answer\n{gold}")
        parts.append(f"## Response to grade\n{output}")
        return [{"role": "system", "content": self.instructions},
                {"role": "user", "content": "\n\n".join(parts)}]

    def parse(self, reply: str) -> Verdict | None:
        m = self.pattern.fullmatch(reply.strip())
        if m is None:
            return None
        word = m.group(1).lower()
        if self.kind == "likert":
            return int(word)
        return word == "correct"


SUMMARY_LIKERT = Rubric(
    name="summary_likert",
    kind="likert",
    needs_gold=False,
    instructions=(
        "You are an attending internist grading a summary of a hospital discharge note written "
        "for another internist. Rate its quality on a 5-point Likert scale: 1 very poor (wrong or "
        "missing key facts), 2 poor, 3 acceptable, 4 good, 5 excellent (accurate, complete, "
        "concise, 2-3 sentences). Reply with the single digit only."
    ),
    pattern=re.compile(r"(?:score\s*[:=]\s*)?([1-5])\.?", re.IGNORECASE),
    question="Quality of this summary for an internist (1 very poor to 5 excellent)",
)

EQUIVALENCE = Rubric(
    name="equivalence",
    kind="binary",
    needs_gold=True,
    instructions=(
        "You are a physician grading an answer to a clinical question. The answer is correct if "
        "it is equivalent or equally correct to the gold answer, incorrect otherwise. Reply with "
        "one word: correct or incorrect."
    ),
    pattern=re.compile(r"(?:verdict\s*[:=]\s*)?(correct|incorrect)\.?", re.IGNORECASE),
    question="Is the answer equivalent or equally correct to the gold answer?",
)

_RUBRICS: dict[str, Rubric] = {}


def register_rubric(rubric: Rubric) -> Rubric:
    if rubric.name in _RUBRICS:
        raise ValueError(f"rubric {rubric.name!r} is already registered")
    _RUBRICS[rubric.name] = rubric
    return rubric


def get_rubric(name: str) -> Rubric:
    from medtune.errors import UserError

    if name not in _RUBRICS:
        raise UserError(f"unknown rubric {name!r}; known rubrics: {', '.join(sorted(_RUBRICS))}")
    return _RUBRICS[name]


register_rubric(SUMMARY_LIKERT)
register_rubric(EQUIVALENCE)
