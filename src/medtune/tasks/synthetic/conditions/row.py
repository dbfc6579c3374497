"""One row of the reasoning task's table: a condition's classic presentation and its answers."""

from __future__ import annotations

from dataclasses import dataclass

from medtune.tasks.synthetic.answers import Answer


@dataclass(frozen=True)
class Condition:
    key: str
    ages: tuple[int, int]
    sex: str                       # "female", "male" or "any"
    complaints: tuple[str, ...]    # one is told: a noun phrase after "presents with"
    history: tuple[str, ...]       # one is told (a sentence), if any
    exam: str                      # always told
    tests: str                     # always told: the key tests
    extras: tuple[str, ...]        # 0-2 supporting findings are added, as sentences
    diagnosis: Answer
    treatment: Answer | None
    dx_rivals: tuple[str, ...]
    tx_rivals: tuple[str, ...] = ()
    tx_question: str | None = None  # when "first-line treatment" needs narrowing
