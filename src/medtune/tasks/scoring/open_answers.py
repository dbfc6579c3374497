"""Grading free text by normalized phrase match: shared by MedQA's open answers, the reasoning
task's answers and the key-fact coverage of summaries. Pure functions on strings.

Normalization (SQuAD's answer normalization): lowercase, punctuation to spaces, articles
dropped, whitespace collapsed, so "Graves' disease" and "graves disease" are the same text.

A *spec* says what naming a thing means: a sequence of groups, every group must be named, any
phrase of a group names it (("NSAID", "ibuprofen"), ("colchicine",)) is "an NSAID and
colchicine" in any order and wording that contains the phrases as whole words.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Mapping, Sequence

_ARTICLES = {"a", "an", "the"}
_PUNCT = str.maketrans(string.punctuation, " " * len(string.punctuation))

Spec = Sequence[Sequence[str]]


def normalize_answer(text: str) -> str:
    """Lowercase, punctuation to spaces, articles dropped, whitespace collapsed."""
    return " ".join(w for w in text.lower().translate(_PUNCT).split() if w not in _ARTICLES)


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style F1 of normalized tokens (multiset overlap); 0 when either is empty."""
    p, r = normalize_answer(prediction).split(), normalize_answer(reference).split()
    common = sum((Counter(p) & Counter(r)).values())
    if not p or not r or not common:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def _spans(tokens: list[str], phrase: str) -> list[tuple[int, int]]:
    """Token spans [start, end) where the normalized phrase occurs as whole words."""
    p = normalize_answer(phrase).split()
    if not p:
        return []
    return [(i, i + len(p)) for i in range(len(tokens) - len(p) + 1) if tokens[i:i + len(p)] == p]


def spec_found(text: str, spec: Spec) -> bool:
    """True when the text names every group of the spec (any of its phrases, as whole words)."""
    tokens = normalize_answer(text).split()
    return all(any(_spans(tokens, phrase) for phrase in group) for group in spec)


def named(text: str, candidates: Mapping[str, Spec]) -> list[str]:
    """The keys of the candidates the text names, in the candidates' order.

    A phrase occurrence that lies strictly inside an occurrence of another candidate's phrase
    does not name its candidate: "anemia" inside "iron deficiency anemia", "stroke" inside
    "hemorrhagic stroke". A candidate is named when each of its groups has an occurrence that
    is not inside another candidate's."""
    tokens = normalize_answer(text).split()
    found = [(key, g, span) for key, spec in candidates.items()
             for g, group in enumerate(spec) for phrase in group for span in _spans(tokens, phrase)]

    def inside_other(key: str, span: tuple[int, int]) -> bool:
        return any(k != key and s[0] <= span[0] and span[1] <= s[1] and s[1] - s[0] > span[1] - span[0]
                   for k, _, s in found)

    kept = {(key, g) for key, g, span in found if not inside_other(key, span)}
    return [key for key, spec in candidates.items() if all((key, g) in kept for g in range(len(spec)))]


def names_only(text: str, gold: Spec, rivals: Sequence[Spec]) -> bool:
    """True when the text names the gold spec and none of the rivals (a hedge such as "A or B"
    with B a rival is wrong). Rival phrases that are also gold phrases are dropped first (two
    conditions may share a right answer); a rival left with an empty group cannot be named."""
    gold_phrases = {normalize_answer(p) for group in gold for p in group}
    candidates: dict[str, Spec] = {"gold": gold}
    for i, rival in enumerate(rivals):
        kept = [[p for p in group if normalize_answer(p) not in gold_phrases] for group in rival]
        if kept and all(kept):
            candidates[f"rival{i}"] = kept
    return named(text, candidates) == ["gold"]
