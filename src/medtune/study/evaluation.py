"""Predict on a split, store per-example predictions, score them: the evaluation stage.

Under several processes each rank predicts a shard of the examples and rank 0 stores them all
(study/processes.py).

Stored predictions are the result: an evaluation whose predictions are already in study.db
(one transaction writes them all) is not run again, and the metric is always computed from
the stored rows, so a resumed study scores exactly as one that never stopped.
"""

from __future__ import annotations

import math
import time
from typing import Any

from medtune.evaluate.scoring import prediction_rows, primary_metric
from medtune.study import processes
from medtune.study.context import Context, Lazy
from medtune.study.task_data import TaskData


def stage_name(task: str, variant: str, split: str) -> str:
    # dev evaluations are named by run key, which starts with the task already
    return f"{variant}:{split}" if variant.startswith(f"{task}/") else f"{task}/{variant}:{split}"


def evaluate(ctx: Context, td: TaskData, model: Lazy, variant: str, split: str) -> float:
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
        _predict(ctx, td, model, variant, split)
        ctx.store.stage_done(stage)
        rows = ctx.store.predictions(task.name, variant, split)
    return primary_metric(task, rows)


def _predict(ctx: Context, td: TaskData, lazy: Lazy, variant: str, split: str) -> None:
    from medtune.evaluate.predict import predict
    from medtune.study.training import compute_dtype

    study, examples = ctx.study, td.splits[split]
    start = time.perf_counter()
    model = lazy.get()
    cache = _base_cache(ctx, td, lazy, examples) if variant == "base" else None
    preds = None if cache is None else cache[0].read(cache[1], examples)
    if preds is None:
        # Each process predicts a contiguous shard; gathered, they are in example order.
        scorer = _prefix_scorer(ctx, td, model, variant, split)
        preds = processes.shard(
            lambda part: predict(model, ctx.tokenizer, td.task, part, study.evaluation.mode,
                                 study.training.max_length, study.training.pack_tokens,
                                 study.evaluation.max_new_tokens, compute_dtype(study), scorer,
                                 on_batch=processes.shard_progress(ctx.progress)), examples)
        if cache is not None:
            processes.on_main(lambda: cache[0].write(cache[1], preds))
    else:
        ctx.progress.log(f"{td.task.name}: base predictions on {split} reused from {cache[1]}")
        ctx.progress.advance(len(examples))
    ctx.store.add_compute(td.task.name, "eval", f"{variant}/{split}", time.perf_counter() - start)
    if split == "test":  # judges and the grading app show graders the prompt
        ctx.store.save_prompts(td.task.name, {ex.id: ex.prompt_text() for ex in examples})
    rows = prediction_rows(td.task, examples, preds)
    ctx.store.save_predictions(td.task.name, variant, split, rows)  # last: its presence means done


def _base_cache(ctx: Context, td: TaskData, lazy: Lazy, examples: list[Any]) -> tuple[Any, Any]:
    """The base model's prediction cache (evaluate/cache.py), shared by every study of the same
    model, and this evaluation's file in it."""
    from medtune.evaluate.cache import PredictionCache
    from medtune.study.training import compute_dtype

    study, model = ctx.study, lazy.get()
    cache = getattr(lazy, "prediction_cache", None)
    if cache is None:  # one per model: hashing its weights is not free
        cache = PredictionCache(model)
        lazy.prediction_cache = cache
    settings = {"mode": "generate" if td.task.open_ended else study.evaluation.mode,
                "max_new_tokens": study.evaluation.max_new_tokens or td.task.max_new_tokens,
                "max_length": study.training.max_length, "pack_tokens": study.training.pack_tokens,
                "dtype": compute_dtype(study), "device": next(model.parameters()).device.type}
    return cache, cache.path(ctx.tokenizer, td.task, examples, settings)


def _prefix_scorer(ctx: Context, td: TaskData, model: Any, variant: str, split: str) -> Any:
    """Choice scoring that keeps the base model's hidden states below the LoRA layers (base) or
    starts from them (a fine-tuned model of the same task and split), evaluate/prefix.py; None
    (ordinary scoring) where that cannot apply: no ``lora.last_layers``, generation, several
    processes (each would hold a shard's states), or no states kept for this task."""
    from medtune.evaluate import prefix
    from medtune.study.training import compute_dtype
    from medtune.train.packing import sequence_logprobs
    from medtune.train.precision import autocast

    study = ctx.study
    lora = study.training.lora
    if (lora is None or lora.last_layers is None or td.task.open_ended or study.evaluation.mode != "likelihood"
            or processes.count() > 1 or variant.startswith(f"{td.task.name}/")):  # dev: other runs' models
        return None
    layer = model.config.num_hidden_layers - lora.last_layers
    dtype, pack_tokens = compute_dtype(study), study.training.pack_tokens
    if variant == "base":
        if layer <= 0:
            return None

        def keep(groups, on_groups=None):
            scores, states = prefix.capture(model, groups, pack_tokens, layer, dtype, on_groups)
            ctx.eval_prefix.clear()  # one task's states at a time
            ctx.eval_prefix[split] = (td.task.name, model, states)
            return scores
        return keep
    held = ctx.eval_prefix.get(split)
    if held is None or held[0] != td.task.name:
        return None

    def reuse(groups, on_groups=None):
        scores = prefix.score_from(model, held[1], held[2], groups, pack_tokens, dtype, on_groups)
        if scores is None:
            ctx.progress.log(f"{td.task.name}: {variant} on {split} scored by a full forward "
                             "(the base model's hidden states do not apply)")
            with autocast(dtype, model.device):
                scores = sequence_logprobs(model, groups, pack_tokens, on_groups=on_groups)
        return scores
    return reuse
