"""One training run of a sweep, checkpointed into the study directory and resumable.

A run is a row of study.db (``runs``) keyed like ``uti/sft/lr=0.001``; its checkpoints live in
``checkpoints/<key>/step-N/`` and are recorded (``checkpoints``) once completely on disk. Run
again, a finished run is not trained again (its checkpoint holds its weights); an interrupted
one continues from its newest recorded checkpoint.

Which checkpoints are kept (``keep``, given by the sweep):
- while a run trains: the newest one, with its optimizer/RNG state (resuming needs it), and
  the weights of every step the plateau rule may still pick (plateau.steps_to_keep: at most
  ``selection.window`` + 1 of them); the optimizer state of every older one is deleted;
- once a run is done: only the weights of the step the sweep uses (the plateau step of a
  probe, the last step of a retrain). Everything else is deleted. (With
  ``retrain_at_plateau`` a probe's plateau weights are kept too, unused: one set per run.)
LoRA weights are the adapter only (about 20 MB for the 135M bundled model, r=16 on every
linear layer); full fine-tuning keeps every weight, so there a sweep's disk use is one model
per config.
"""

from __future__ import annotations

import copy
import json
import math
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medtune.study import processes
from medtune.study.context import Context, Lazy
from medtune.study.plateau import PlateauRule, find_plateau, steps_to_keep
from medtune.study.task_data import TaskData

# (eval-loss curve so far, run finished?) -> steps whose checkpoint weights to keep
Keep = Callable[[list[tuple[int, float]], bool], set[int]]


def plateau_rule(study: Any) -> PlateauRule:
    return PlateauRule(**study.selection.model_dump(exclude={"retrain_at_plateau"}))


def probe_keep(study: Any) -> Keep:
    """Which checkpoints a probe run keeps: those the plateau rule may
    still pick while it trains, its plateau step once done."""
    rule = plateau_rule(study)

    def keep(curve: list[tuple[int, float]], final: bool) -> set[int]:
        return {find_plateau(curve, rule).step} if final else steps_to_keep(curve, rule)

    return keep


def run_key(task: str, method: str, lr: float, beta: float | None) -> str:
    return f"{task}/{method}/lr={lr:g}" + (f"/beta={beta:g}" if beta is not None else "")


def lora_settings(ctx: Context) -> Any:
    from medtune.train.settings import LoraSettings

    lora = ctx.study.training.lora
    return None if lora is None else LoraSettings(**lora.model_dump())


def train_settings(ctx: Context, method: str, lr: float, beta: float | None, steps: int) -> Any:
    from medtune.train.settings import TrainSettings

    t = ctx.study.training
    budget = ctx.study.sft if method == "sft" else ctx.study.dpo
    return TrainSettings(
        method=method,
        learning_rate=lr,
        steps=steps,
        batch_size=t.batch_size,
        grad_accum=t.grad_accum,
        eval_every=budget.eval_every,
        beta=beta if beta is not None else 0.1,
        seed=ctx.study.seed,
        lora=lora_settings(ctx),
        warmup_steps=t.warmup_steps,
        schedule=t.schedule,
        pack_tokens=t.pack_tokens,
        strategy=ctx.study.compute.strategy,
        dtype=compute_dtype(ctx.study),
    )


def compute_dtype(study: Any) -> str:
    """The type this study computes in on this machine: fp32 or bf16 (train/precision.py)."""
    from medtune.train.precision import resolve

    return resolve(study.training.dtype, study.training.mixed_precision)


def train_run(ctx: Context, td: TaskData, method: str, start: Lazy, lr: float, beta: float | None, steps: int,
              key: str, role: str, keep: Keep) -> sqlite3.Row:
    """Train (or resume, or skip when done) one run from ``start``; returns its row."""
    from medtune.train.loop import Checkpointing, drawn_indices, train

    store, task = ctx.store, td.task
    row = store.run(key)
    if row is not None and row["status"] == "done":
        # Idempotent tidying a kill after finish_run may have cut short.
        store.add_compute(task.name, method, key, row["seconds"])
        prune(ctx, row["id"], keep(eval_curve(ctx, row), True), final=True)
        return row
    settings = train_settings(ctx, method, lr, beta, steps)
    t = ctx.study.training
    train_groups, eval_groups = _groups(ctx, td, method)
    config = {"learning_rate": lr, "beta": beta, "steps": steps, "batch_size": t.batch_size,
              "dtype": settings.compute}
    run_id = store.start_run(key, task.name, method, config, ctx.device, role)
    directory = ctx.out_dir / "checkpoints" / key
    resume = _resume_point(ctx, run_id, directory)

    from medtune.study.tracking import open_tracker

    tracker = open_tracker(ctx, key, task.name, method, role, settings)  # TensorBoard / MLflow

    def on_saved(path: Path, step: int, curve: list[Any]) -> None:
        points = [(p.step, p.eval_loss) for p in curve]
        store.add_checkpoint(run_id, step, _relative(ctx, path), points)
        tracker.eval_curve(points)
        prune(ctx, run_id, keep(points, False), final=False)

    label = f"{task.name}: {method.upper()} lr={lr:g}" + (f" beta={beta:g}" if beta is not None else "")
    ctx.progress.stage(label + (" (retrain)" if role == "retrain" else ""), steps)
    if resume is not None:
        ctx.progress.advance(resume[1])
        ctx.progress.log(f"{key}: resuming from step {resume[1]}")
    strata = _strata(td)
    reference, frozen = None, _frozen_states(ctx, task.name, method, start)
    if method == "dpo":  # before the run's clock: the cache's seconds are counted apart, once
        reference = _reference(ctx, task.name, start, train_groups, eval_groups,
                               drawn_indices(len(train_groups), settings, strata), frozen)
    def on_step(step: int, loss: float) -> None:
        ctx.progress.advance(1)
        tracker.train_loss(step, loss)

    try:
        result = train(
            copy.deepcopy(start.get()),
            train_groups,
            eval_groups,
            settings,
            on_step=on_step,
            strata=strata,
            checkpoints=Checkpointing(directory, None if resume is None else resume[0], on_saved),
            reference=reference,
            frozen=frozen,
        )
    except BaseException:
        tracker.close(finished=False)
        raise
    curve = [(p.step, p.eval_loss) for p in result.curve]
    tracker.eval_curve(curve)
    tracker.close(finished=True)
    store.finish_run(run_id, result.seconds, result.tokens,
                     {"train_loss": list(enumerate(result.train_losses, start=1)), "eval_loss": curve})
    store.add_compute(task.name, method, key, result.seconds)
    prune(ctx, run_id, keep(curve, True), final=True)
    return store.run(key)


def _groups(ctx: Context, td: TaskData, method: str) -> tuple[list[Any], list[Any]]:
    from medtune.train.batching import dpo_groups, sft_groups

    make = sft_groups if method == "sft" else dpo_groups
    max_length = ctx.study.training.max_length
    return (make(ctx.tokenizer, td.task, td.splits["train"], max_length),
            make(ctx.tokenizer, td.task, td.splits.get("eval", []), max_length))


def _strata(td: TaskData) -> list[str] | None:
    """Each training example's label: batches keep the label proportions (loop._batches)."""
    return [json.dumps(ex.label, sort_keys=True) for ex in td.splits["train"]] if td.task.endpoints else None


def prefill_reference(ctx: Context, td: TaskData, start: Lazy, steps: int) -> None:
    """The DPO reference log-probs every probe of a sweep draws (the batch stream depends on
    the seed, batch size and steps, not on the learning rate or beta), into the cache before
    the probes train side by side (fanout.py): otherwise each worker would compute them."""
    from medtune.train.loop import drawn_indices

    train_groups, eval_groups = _groups(ctx, td, "dpo")
    settings = train_settings(ctx, "dpo", 0.0, None, steps)
    _reference(ctx, td.task.name, start, train_groups, eval_groups,
               drawn_indices(len(train_groups), settings, _strata(td)), None)


def _frozen_states(ctx: Context, task: str, method: str, start: Lazy) -> Any:
    """The states below the LoRA layers (train/frozen.py) that every run of this task's
    ``method`` from ``start`` shares: each config of the sweep, its retrains, and for DPO the
    reference pass, which keeps them for the steps. None where they do not apply. One task and
    method's states are held at a time."""
    from medtune.train.frozen import FrozenStates, frozen_layers

    lora = ctx.study.training.lora
    key = (task, method, start.spec)
    if key not in ctx.frozen_states:
        model = start.get()
        layer = frozen_layers(model, None if lora is None else lora.last_layers)
        ctx.frozen_states.clear()
        ctx.frozen_states[key] = FrozenStates(model, layer, compute_dtype(ctx.study)) if layer else None
    return ctx.frozen_states[key]


def _reference(ctx: Context, task: str, start: Lazy, train_groups, eval_groups, drawn: list[int],
               frozen: Any) -> Any:
    """DPO reference log-probs of the start model (the best SFT model) from the study
    directory's cache (train/refcache.py): one pass for every config of the sweep, its retrains
    and every rerun, keeping the pairs' lower-layer states in ``frozen`` for the DPO steps.
    The seconds of pairs computed now are DPO compute."""
    from medtune.train.refcache import ReferenceCache

    cache = getattr(start, "reference_cache", None)
    if cache is None:  # one per start model: hashing its weights is not free
        cache = ReferenceCache(ctx.out_dir / "reference", start.get(), ctx.study.training.pack_tokens,
                               compute_dtype(ctx.study))
        start.reference_cache = cache
    cache.frozen = frozen
    before, clock = cache.pairs_computed, time.perf_counter()
    reference = cache.reference(train_groups, eval_groups, drawn)
    if cache.pairs_computed > before:
        ctx.store.add_compute(task, "dpo", f"{task}/dpo/reference/{cache.weights[:12]}", time.perf_counter() - clock)
    return reference


def eval_curve(ctx: Context, row: sqlite3.Row) -> list[tuple[int, float]]:
    """A run's stored eval-loss curve. Without an eval split no loss is stored: its first and
    last steps then carry NaN, and the plateau rule picks the last step."""
    curve = ctx.store.curve(row["id"], "eval_loss")
    return curve or [(0, math.nan), (json.loads(row["config"])["steps"], math.nan)]


def _relative(ctx: Context, path: Path) -> str:
    return path.relative_to(ctx.out_dir).as_posix()


def _resume_point(ctx: Context, run_id: int, directory: Path) -> tuple[Path, int] | None:
    """The newest recorded resumable checkpoint; unrecorded directories (a checkpoint being
    written when the process died, or one being deleted) are removed, by rank 0."""
    rows = ctx.store.checkpoints(run_id)
    recorded = {ctx.out_dir / r["path"] for r in rows}
    processes.main_only(lambda: _remove_unrecorded(directory, recorded))
    resumable = [r for r in rows if r["resumable"]]
    if not resumable:
        return None
    newest = resumable[-1]
    return ctx.out_dir / newest["path"], int(newest["step"])


def _remove_unrecorded(directory: Path, recorded: set[Path]) -> None:
    from medtune.train import checkpoint as ckpt

    if directory.exists():
        for entry in directory.iterdir():
            if entry not in recorded and entry.name.startswith((".step-", "step-")):
                ckpt.remove(entry)


def prune(ctx: Context, run_id: int, keep: set[int], final: bool) -> None:
    """Delete checkpoints outside ``keep`` and the optimizer state of all but the newest
    (of all, once ``final``). Rows go first, files after (store.forget_checkpoint)."""
    from medtune.train import checkpoint as ckpt

    rows = ctx.store.checkpoints(run_id)
    if not rows:
        return
    newest = rows[-1]["step"]
    for r in rows:
        step, path = r["step"], ctx.out_dir / r["path"]
        if not final and step == newest:
            continue
        if step not in keep:
            ctx.store.forget_checkpoint(run_id, step)
            processes.main_only(lambda: ckpt.remove(path))
        elif r["resumable"]:
            ctx.store.set_not_resumable(run_id, step)
            processes.main_only(lambda: ckpt.drop_trainer(path))


def load_checkpoint(ctx: Context, start: Lazy, run_id: int, step: int) -> Any:
    """The model of run ``run_id`` at ``step``, rebuilt from ``start`` and the checkpoint."""
    from medtune.train.checkpoint import load_trained

    row = ctx.store.checkpoint(run_id, step)
    if row is None:
        raise RuntimeError(f"run {run_id} has no checkpoint at step {step}")
    return load_trained(start.get(), ctx.out_dir / row["path"], lora_settings(ctx), ctx.study.seed)
