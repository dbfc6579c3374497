"""What a clinical task is: how it is prompted, answered, parsed and scored.

A classification task has one or more *endpoints* (axes scored separately: UTI has one,
triage has urgency and responding provider). Each endpoint has a closed label set and a
positive class, so F1, sensitivity and specificity are defined, and each example is scored
separately per endpoint, because paired statistics (McNemar) need per-example outcomes.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from medtune.data.records import Example

Label = str | dict[str, str]


@dataclass(frozen=True)
class Endpoint:
    """One scored axis of a classification task."""

    name: str
    labels: tuple[str, ...]
    positive: str

    def __post_init__(self) -> None:
        assert self.positive in self.labels, (self.name, self.positive, self.labels)


class Task:
    """Base class; a task file subclasses it and registers with ``@register_task``."""

    name: ClassVar[str]
    kind: ClassVar[Literal["classification", "open_qa", "summarization"]] = "classification"
    description: ClassVar[str] = ""
    system_prompt: ClassVar[str] = "You are a careful clinical assistant."
    endpoints: ClassVar[tuple[Endpoint, ...]] = ()

    # --- labels <-> answers -------------------------------------------------------------
    def label_dict(self, label: Label) -> dict[str, str]:
        """The label as {endpoint name: value}; a single-endpoint task may use a string."""
        if isinstance(label, str):
            if len(self.endpoints) != 1:
                raise ValueError(f"task {self.name} needs a label object with keys "
                                 f"{[e.name for e in self.endpoints]}")
            return {self.endpoints[0].name: label}
        return dict(label)

    def label_value(self, values: dict[str, str]) -> Label:
        """Inverse of label_dict: a plain string for single-endpoint tasks."""
        if len(self.endpoints) == 1:
            return values[self.endpoints[0].name]
        return dict(values)

    def answer(self, label: Label) -> str:
        """The gold answer text the model should produce for this label."""
        raise NotImplementedError

    def parse(self, text: str) -> Label | None:
        """A generated answer -> label, or None when it cannot be read (a parse failure,
        never a guess). The default finds each endpoint's label word in the text."""
        low = text.lower()
        values: dict[str, str] = {}
        for ep in self.endpoints:
            found = [lab for lab in ep.labels if re.search(rf"\b{re.escape(lab.lower())}\b", low)]
            # Labels that contain another ("non-urgent" contains "urgent"): keep the longest.
            found = [f for f in found if not any(f != g and f.lower() in g.lower() for g in found)]
            if len(found) != 1:
                return None
            values[ep.name] = found[0]
        return self.label_value(values)

    def candidates(self) -> list[tuple[Label, str]]:
        """Every allowed label with its answer text, for log-likelihood scoring."""
        combos = itertools.product(*(ep.labels for ep in self.endpoints))
        out = []
        for combo in combos:
            label = self.label_value({ep.name: v for ep, v in zip(self.endpoints, combo)})
            out.append((label, self.answer(label)))
        return out

    def validate_label(self, label: Label | None) -> str | None:
        """None if the label is valid for this task, else what is wrong with it."""
        if label is None:
            return "missing (this task needs a label)" if self.endpoints else None
        try:
            values = self.label_dict(label)
        except ValueError as err:
            return str(err)
        expected = {ep.name for ep in self.endpoints}
        if set(values) != expected:
            return f"keys {sorted(values)} but this task needs {sorted(expected)}"
        for ep in self.endpoints:
            if values[ep.name] not in ep.labels:
                return f"{ep.name}={values[ep.name]!r} is not one of {list(ep.labels)}"
        return None

    # --- synthetic data ----------------------------------------------------------------
    def generate(self, n: int, seed: int) -> list[Example]:
        """n synthetic examples, deterministic by seed (split left unset)."""
        raise NotImplementedError(f"task {self.name} has no synthetic generator")


def draw_fitting(
    rng: random.Random, make: Callable[[random.Random], tuple[str, Any]], min_words: int, max_words: int,
    what: str, tries: int = 100,
) -> tuple[str, Any]:
    """Draw ``make(rng) -> (text, meta)`` until the text has min_words..max_words words, so
    synthetic notes keep a controlled length (and training cost) whatever template came up.
    Deterministic given the rng state."""
    for _ in range(tries):
        text, meta = make(rng)
        if min_words <= len(text.split()) <= max_words:
            return text, meta
    raise AssertionError(f"no {what} fits in {min_words}-{max_words} words")
