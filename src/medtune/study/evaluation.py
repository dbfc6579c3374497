"""Predict on a split, store per-example predictions, score them: the evaluation stage.

Under several processes each rank predicts a shard of the examples and rank 0 stores them all
(study/shared.py).

Stored predictions are the result: an evaluation whose predictions are already in study.db
(one transaction writes them all) is not run again, and the metric is always computed from
the stored rows, so a resumed study scores exactly as one that never stopped.
"""

from __future__ import annotations

import math
import time
from typing import Any

from medtune.evaluate.scoring import prediction_rows, primary_metric
from medtune.study.context import Context, Lazy
from medtune.train import distributed


def stage_name(task: str, variant: str, split: str) -> str:
    # dev evaluations are named by run key, which starts with the task already
    return f"{variant}:{split}" if variant.startswith(f"{task}/") else f"{task}/{variant}:{split}"


def evaluate(ctx: Context, td: Any, model: Lazy, variant: str, split: str) -> float:
    """The primary metric (evaluate/scoring.py) of ``variant`` on ``split``."""
    task = td.task
    examples = td.splits.get(split, [])
    if not examples:
        return math.nan
    rows = ctx.store.predictions(task.name, variant, split)
    if len(rows) != len(examples):
        stage = stage_name(task.name, variant, split)
        ctx.progress.stage(f"{task.name}: {variant} on {split}", len(examples))
        ctx.store.stage_started(stage, task.name)
        _predict(ctx, td, model.get(), variant, split)
        ctx.store.stage_done(stage)
        rows = ctx.store.predictions(task.name, variant, split)
    return primary_metric(task, rows)


def shard_progress(progress: Any):
    """``advance`` for work split across processes: only rank 0 reports (the others' hooks are
    silent), so its share counts for every process's, which run at the same pace."""
    world = distributed.world_size()
    return lambda n: progress.advance(n * world)


def _predict(ctx: Context, td: Any, model: Any, variant: str, split: str) -> None:
    from medtune.evaluate.predict import predict

    study, examples = ctx.study, td.splits[split]
    start = time.perf_counter()
    # Each process predicts a contiguous shard; gathered, they are in example order.
    preds = distributed.shard_map(
        lambda part: predict(model, ctx.tokenizer, td.task, part, study.evaluation.mode, study.training.max_length,
                             study.training.pack_tokens, study.evaluation.max_new_tokens,
                             on_batch=shard_progress(ctx.progress)), examples)
    ctx.store.add_compute(td.task.name, "eval", f"{variant}/{split}", time.perf_counter() - start)
    if split == "test":  # judges and the grading app show graders the prompt
        ctx.store.save_prompts(td.task.name, {ex.id: ex.prompt_text() for ex in examples})
    rows = prediction_rows(td.task, examples, preds)
    ctx.store.save_predictions(td.task.name, variant, split, rows)  # last: its presence means done
