"""What a clinical task is: how it is prompted, answered, parsed and scored.

A classification task has one or more *endpoints* (axes scored separately: UTI has one,
triage has urgency and responding provider). Each endpoint has a closed label set and a
positive class, so F1, sensitivity and specificity are defined, and each example is scored
separately per endpoint, because paired statistics (McNemar) need per-example outcomes.

An open-ended task (clinical reasoning, summarization) is evaluated by generation: ``score``
turns one generated answer into per-example *outcomes* (``correct`` 0/1, or coverage and
ROUGE-L in [0, 1]), each the per-example value of one metric of the report; the first is the
task's primary metric (dev selection, recommendation).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Sequence
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


@dataclass(frozen=True)
class Outcome:
    """One per-example score of an open-ended task, named by the metric it averages into
    ("accuracy" for 0/1 correctness, "coverage", "rouge_l"). Binary outcomes are compared with
    McNemar's test, continuous ones with the paired t-test (and Wilcoxon's as a check)."""

    name: str
    kind: Literal["binary", "continuous"]


class Task:
    """Base class; a task file subclasses it and registers with ``@register_task``."""

    name: ClassVar[str]
    kind: ClassVar[Literal["classification", "open_qa", "summarization"]] = "classification"
    description: ClassVar[str] = ""
    system_prompt: ClassVar[str] = "You are a careful clinical assistant."
    endpoints: ClassVar[tuple[Endpoint, ...]] = ()
    # open-ended tasks: the per-example outcomes, primary first (empty for classification)
    outcomes: ClassVar[tuple[Outcome, ...]] = ()
    # the rejected strategy used when the study file names none (tasks/rejected.py)
    default_rejected: ClassVar[str] = "wrong_label"
    # generation budget when the study file gives none (answer tokens, end marker included)
    max_new_tokens: ClassVar[int] = 32

    @property
    def open_ended(self) -> bool:
        return bool(self.outcomes)

    @property
    def metric(self) -> str:
        """The primary metric: F1 for classification, the first outcome otherwise."""
        return self.outcomes[0].name if self.outcomes else "f1"

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
        if not self.endpoints:
            return None  # open-ended: graded against chosen and meta, a label is not used
        if label is None:
            return "missing (this task needs a label)"
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

    # --- open-ended scoring -------------------------------------------------------------
    def score(self, example: Example, text: str) -> dict[str, float]:
        """{outcome name: value} for one generated answer (open-ended tasks only)."""
        raise NotImplementedError(f"task {self.name} is scored by labels, not score()")

    def is_wrong(self, example: Example, text: str) -> bool:
        """Whether a generated answer may serve as the rejected answer of a preference pair
        (weaker_model, on_policy): not empty, and wrong. For classification: it reads as
        another label, or as none."""
        if not text.strip():
            return False
        parsed = self.parse(text)
        return parsed is None or self.label_dict(parsed) != self.label_dict(example.label)

    # --- synthetic data ----------------------------------------------------------------
    def generate(self, n: int, seed: int) -> list[Example]:
        """n synthetic examples, deterministic by seed (split left unset)."""
        raise NotImplementedError(f"task {self.name} has no synthetic generator")


def equal_shares(rng: random.Random, items: Sequence[Any], n: int) -> list[Any]:
    """n draws from items in equal shares (the remainder: distinct items at random), shuffled."""
    out = [items[i % len(items)] for i in range(n - n % len(items))]
    out += rng.sample(list(items), n % len(items))
    rng.shuffle(out)
    return out


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
