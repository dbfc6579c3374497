"""Accepted answers of the open-ended tasks' tables (reasoning's conditions, summarization's
admissions): the gold text and the phrase groups that accept it (tasks/scoring/open_answers.py:
every group must be named, any phrase of a group names it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    text: str                              # the gold answer as the model should write it
    groups: tuple[tuple[str, ...], ...]    # accepted: every group named, any phrase of each


def one(text: str, *synonyms: str) -> Answer:
    return Answer(text, ((text, *synonyms),))


def both(text: str, first: tuple[str, ...], second: tuple[str, ...]) -> Answer:
    return Answer(text, (first, second))
