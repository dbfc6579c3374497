"""A method's sweep, the paper's selection protocol: every config of the grid is probed for the
step budget, its eval-loss plateau found (plateau.py), its model taken at that step (the
probe's checkpoint, or a retrain to that step: ``selection.retrain_at_plateau``), scored on
the dev split by the task's metric; the best on dev wins (``choose``).

With a single config there is nothing to choose and the dev split is not scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from medtune.config import Study
from medtune.study.context import Context, Lazy
from medtune.study.evaluation import evaluate
from medtune.study.plateau import find_plateau
from medtune.study.task_data import TaskData
from medtune.study.training import (eval_curve, load_checkpoint, plateau_rule, prefill_reference, probe_keep,
                                    run_key, train_run)


@dataclass
class Candidate:
    key: str  # the probe run's key; dev predictions are stored under it
    order: int  # position in the grid
    run_id: int  # the probe run (its row holds plateau, choice, dev metric, selected)
    model_run: int  # the run whose checkpoint holds the candidate's weights
    step: int  # the step of that checkpoint (the plateau step)
    eval_loss: float  # eval loss at that step
    dev_metric: float | None = None


def choose(candidates: Sequence[Candidate]) -> Candidate:
    """The best candidate: highest dev metric; ties (and a missing dev metric, which ranks
    below any value) go to the lower eval loss at the chosen step, then to fewer steps, then
    to the earlier config of the grid."""

    def rank(c: Candidate) -> tuple[float, float, int, int]:
        dev = -math.inf if c.dev_metric is None or math.isnan(c.dev_metric) else c.dev_metric
        loss = math.inf if math.isnan(c.eval_loss) else c.eval_loss
        return (-dev, loss, c.step, c.order)

    return min(candidates, key=rank)


def grid(study: Study, method: str) -> list[tuple[float, float | None]]:
    """(learning rate, beta) of every config, in the order they run (and break ties)."""
    if method == "sft":
        return [(lr, None) for lr in study.sft.learning_rates]
    return [(lr, beta) for lr in study.dpo.learning_rates for beta in study.dpo.betas]


def run_sweep(ctx: Context, td: TaskData, method: str, start: Lazy) -> Lazy:
    """Train, select and record the sweep of ``method`` from ``start``; the winner's model,
    loaded from its checkpoint when first needed. With several GPUs the probes train side by
    side first, one config per GPU (fanout.py)."""
    from medtune.config import task_steps
    from medtune.study.fanout import fan_out_devices, train_side_by_side

    task = td.task.name
    stage = f"{task}/{method}:sweep"
    ctx.store.stage_started(stage, task)
    configs = grid(ctx.study, method)
    devices = fan_out_devices(ctx.study, len(configs))
    if devices:
        ctx.progress.log(f"{task}: {method.upper()} sweep, {len(configs)} configs side by side on {len(devices)} GPUs")
        if method == "dpo":
            prefill_reference(ctx, td, start, task_steps(ctx.study, task, "dpo"))
        train_side_by_side(ctx, td, method, start.spec, configs, devices)
    candidates = []
    for order, (lr, beta) in enumerate(configs):
        c = _candidate(ctx, td, method, start, lr, beta, order)
        if len(configs) > 1:
            model = Lazy(lambda c=c: load_checkpoint(ctx, start, c.model_run, c.step),
                         spec=("checkpoint", c.model_run, c.step))
            c.dev_metric = evaluate(ctx, td, model, c.key, "dev")
            ctx.store.set_dev_metric(c.run_id, c.dev_metric)
        candidates.append(c)
    winner = choose(candidates)
    ctx.store.select_run(task, method, winner.run_id)
    ctx.store.stage_done(stage)
    return Lazy(lambda: load_checkpoint(ctx, start, winner.model_run, winner.step),
                spec=("checkpoint", winner.model_run, winner.step))


def _candidate(ctx: Context, td: TaskData, method: str, start: Lazy, lr: float, beta: float | None,
               order: int) -> Candidate:
    from medtune.config import task_steps

    rule = plateau_rule(ctx.study)
    budget = task_steps(ctx.study, td.task.name, method)
    key = run_key(td.task.name, method, lr, beta)
    probe = train_run(ctx, td, method, start, lr, beta, budget, key, "probe", probe_keep(ctx.study))
    curve = eval_curve(ctx, probe)
    plateau = find_plateau(curve, rule)
    model_run, loss = probe["id"], dict(curve)[plateau.step]
    if ctx.study.selection.retrain_at_plateau and plateau.step < budget:
        retrain = train_run(ctx, td, method, start, lr, beta, plateau.step, f"{key}/retrain", "retrain",
                            lambda curve, final: {curve[-1][0]})
        model_run, loss = retrain["id"], eval_curve(ctx, retrain)[-1][1]
    ctx.store.set_choice(probe["id"], plateau.step, model_run, plateau.step, loss, plateau.found)
    return Candidate(key, order, probe["id"], model_run, plateau.step, loss)
