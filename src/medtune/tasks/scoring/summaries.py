"""Scoring a generated summary without a judge: key-fact coverage and ROUGE-L (pure functions).

- Key-fact coverage: the share of the note's key facts (diagnosis, main treatment or result,
  each new discharge medicine, follow-up) that the summary names, each fact by its accepted
  phrasings (tasks/scoring/open_answers.py). It measures what an internist needs; it cannot see a
  wrong statement next to a right one, which is why ROUGE-L and the judge come with it.
- ROUGE-L (Lin 2004): F-measure of the longest common subsequence of tokens between summary
  and reference, from Google's ``rouge-score`` package (the reference implementation of the
  ROUGE-1.5.5 scores), with its Porter stemmer. It rewards wording close to the gold summary
  and penalises length in either direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from medtune.tasks.scoring.open_answers import Spec, spec_found


def key_fact_coverage(summary: str, key_facts: Sequence[Spec]) -> float:
    """Share of key facts the summary names, in [0, 1]; needs at least one fact."""
    if not key_facts:
        raise ValueError("key-fact coverage needs at least one key fact")
    return sum(spec_found(summary, spec) for spec in key_facts) / len(key_facts)


@lru_cache(maxsize=1)
def _scorer():
    from rouge_score import rouge_scorer  # lazy: pulls in nltk

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(summary: str, reference: str) -> float:
    """ROUGE-L F-measure of summary against reference, in [0, 1] (0 when either is empty)."""
    return float(_scorer().score(reference, summary)["rougeL"].fmeasure)
