"""Rejected answers made by a model (``weaker_model``, ``on_policy``), generated just before DPO.

The answers to the train and eval prompts that have no rejected answer are generated once and
stored in study.db under variant ``rejected/<strategy>`` with their status (tasks/rejected.py:
fill_generated keeps the wrong ones); a resumed study reads them back instead of generating
again. The seconds count as DPO compute: they are paid only to run DPO.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from medtune.errors import UserError
from medtune.study import processes
from medtune.study.context import Context, Lazy
from medtune.study.task_data import TaskData


def with_generated_rejected(ctx: Context, td: TaskData, base: Lazy, sft: Lazy) -> Any:
    """``td`` with the model-made rejected answers filled in (unchanged for other strategies)."""
    from medtune.tasks.rejected import GENERATED, fill_generated

    if td.rejected not in GENERATED:
        return td
    name, strategy, variant = td.task.name, td.rejected, f"rejected/{td.rejected}"
    splits = dict(td.splits)
    for split in ("train", "eval"):
        todo = [ex for ex in splits.get(split, []) if not ex.rejected]
        if not todo:
            continue
        stored = {r["example_id"]: r["text"] for r in ctx.store.predictions(name, variant, split)}
        if set(stored) != {ex.id for ex in todo}:
            stored = _generate(ctx, td, base, sft, todo, split)
        splits[split], status = fill_generated(splits[split], td.task, stored, ctx.study.seed)
        if not ctx.store.predictions(name, variant, split):
            ctx.store.save_predictions(name, variant, split, [  # last: its presence means done
                {"example_id": ex.id, "gold": ex.chosen, "predicted": None, "text": stored[ex.id],
                 "scores": {"status": status[ex.id]}} for ex in todo])
        ctx.progress.log(f"{name}: {strategy} on {split}: " + ", ".join(
            f"{s} {sum(v == s for v in status.values())}" for s in ("generated", "fallback", "dropped")))
    if not splits.get("train"):
        raise UserError(f"task {name}: no training example has a rejected answer for DPO; "
                        "choose another rejected strategy")
    return replace(td, splits=splits)


def _generate(ctx: Context, td: TaskData, base: Lazy, sft: Lazy, todo: list[Any], split: str) -> dict[str, str]:
    from medtune.evaluate.predict import predict_by_generation
    from medtune.models import load_model
    from medtune.study.training import compute_dtype
    from medtune.train.precision import weights_dtype

    study, strategy = ctx.study, td.rejected
    if strategy == "weaker_model" and td.rejected_model not in (None, study.model):
        loaded = load_model(td.rejected_model, weights_dtype(study.training.dtype))
        model, tokenizer = loaded.model, loaded.tokenizer
    else:  # the base model (weaker_model without a named model) or the SFT model (on_policy)
        model, tokenizer = (base if strategy == "weaker_model" else sft).get(), ctx.tokenizer
    ctx.progress.stage(f"{td.task.name}: {strategy} rejected answers on {split}", len(todo))
    start = time.perf_counter()
    preds = processes.shard(  # each process generates a shard; gathered in order
        lambda part: predict_by_generation(model, tokenizer, td.task, part,
                                           study.evaluation.max_new_tokens or td.task.max_new_tokens,
                                           dtype=compute_dtype(study), on_batch=processes.shard_progress(ctx.progress)),
        todo)
    ctx.store.add_compute(td.task.name, "dpo", f"rejected/{strategy}/{split}", time.perf_counter() - start)
    return {p.example_id: p.text for p in preds}
