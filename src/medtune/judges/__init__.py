"""LLM-as-judge: backends (OpenAI-compatible server, local model), rubrics, the egress guard,
and a cached jury. The study's judge stage (stage.py) runs the jury on a task's test outputs
and stores its verdicts in study.db, where the report reads them."""

from medtune.judges.config import JudgeSettings, JurySettings
from medtune.judges.jury import (
    Item,
    JuryResult,
    aggregate,
    judge_items,
    judge_predictions,
    jury_outcomes,
    run_jury,
)
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
    "judge_predictions",
    "jury_outcomes",
    "register_rubric",
    "run_jury",
]
