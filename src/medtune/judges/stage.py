"""The study's judge stage: the configured jury on a task's saved test predictions.

The runner calls ``judge_task`` after a task's test evaluations (every verdict is cached in
study.db, so a rerun costs no calls). It stores the jury's verdicts, per output the aggregate and
every judge's vote (store/verdicts.py): the report reads those and never rebuilds a prompt, so
running the study again on a directory judged before verdicts were stored fills them from the
cache. ``check_ready`` runs before training, so a missing API key or judge model fails the study
before hours of compute, not after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medtune.errors import UserError
from medtune.judges.backends import api_key
from medtune.judges.config import JurySettings
from medtune.judges.jury import JuryResult, judge_predictions
from medtune.judges.rubrics import Rubric, get_rubric
from medtune.variants import VARIANTS


@dataclass
class JudgedTask:
    """One task's jury results, per variant (base/sft/dpo, served baselines)."""

    rubric: Rubric
    judges: list[str]
    per_variant: dict[str, JuryResult]


def check_ready(jury: JurySettings) -> None:
    """Fail early: every api_key_env is set, every local judge model directory exists."""
    for j in jury.jury:
        api_key(j)
        if j.backend == "local" and not Path(j.model).is_dir():
            raise UserError(f"judge {j.name!r}: model directory {j.model} does not exist; give the "
                            "path of a local Hugging Face model directory as `model`")


def judge_task(store: Any, jury: JurySettings, task: str, backends: dict | None = None,
               variants: Sequence[str] = VARIANTS) -> JudgedTask | None:
    """The jury on a task's test predictions (of ``variants``: the study's served baselines
    too), stored in study.db; None when no rubric is set for the task."""
    if task not in jury.rubrics:
        return None
    rubric = get_rubric(jury.rubrics[task])
    per_variant = judge_predictions(store, task, rubric, jury.jury, variants=variants, backends=backends,
                                    likert=jury.likert)
    judges = [j.name for j in jury.jury]
    store.save_jury(task, rubric.name, judges, jury.aggregate(rubric.kind), per_variant)
    return JudgedTask(rubric, judges, per_variant)
