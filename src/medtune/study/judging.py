"""The LLM judges' stage: the study's jury on a task's saved test predictions (judges/stage.py),
on rank 0 (no model of the study runs here; the judges are served or local models of their own).
Every verdict is cached in study.db, so running the study again costs no judge calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from medtune.study import processes
from medtune.study.context import Context
from medtune.study.task_data import TaskData
from medtune.variants import VARIANTS


def judge(ctx: Context, td: TaskData) -> None:
    """The jury on the test predictions of base, SFT, DPO and the served baselines, when the
    study's ``judges:`` section gives the task a rubric."""
    study, task = ctx.study, td.task.name
    if study.judges is None or task not in study.judges.rubrics:
        return
    from medtune.judges.stage import judge_task
    from medtune.study.baselines import study_pairs

    variants = study_pairs(study, VARIANTS, ())[0]  # served baselines are judged too

    def on_main() -> None:
        store = ctx.store.local
        judged = sum(len(store.predictions(task, v, "test")) for v in variants)
        ctx.progress.stage(f"{task}: LLM judges ({study.judges.rubrics[task]})", judged * len(study.judges.jury))
        judge_task(_CountingStore(store, ctx.progress.advance), study.judges, task, variants=variants)

    processes.on_main(on_main)


class _CountingStore:
    """The store, counting the jury's cache look-ups: every judge looks up every item once
    before calling its model (judges/jury.py), so each look-up is one verdict of progress. A
    jury over hundreds of answers at seconds each would otherwise show nothing until the end."""

    def __init__(self, store: Any, advance: Callable[[int], None]) -> None:
        self._store, self._advance = store, advance

    def judge_cached(self, *args: Any, **kwargs: Any) -> Any:
        self._advance(1)
        return self._store.judge_cached(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
