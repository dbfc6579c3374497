"""LLM-as-judge: backends (OpenAI-compatible server, local model), rubrics, the egress guard,
and a cached jury. The study runner calls ``run_jury`` per task and variant and feeds
``JuryResult.final`` into the paired statistics."""

from medtune.judges.config import JudgeSettings, JurySettings
from medtune.judges.jury import Item, JuryResult, aggregate, judge_items, run_jury
from medtune.judges.rubrics import EQUIVALENCE, SUMMARY_LIKERT, Rubric, get_rubric, register_rubric

__all__ = [
    "EQUIVALENCE",
    "SUMMARY_LIKERT",
    "Item",
    "JudgeSettings",
    "JurySettings",
    "JuryResult",
    "Rubric",
    "aggregate",
    "get_rubric",
    "judge_items",
    "register_rubric",
    "run_jury",
]
