"""The study, stage by stage: data -> base eval -> SFT sweep -> dev selection -> DPO sweep from
the best SFT model -> test eval of base, SFT and DPO -> LLM judges (when the study file has a
``judges:`` section) -> statistics -> report.

Every task is fine-tuned separately from the same base model, as in the paper. Dev selection
uses the task's primary metric (F1; accuracy or key-fact coverage for open-ended tasks), not
the loss; with a single candidate there is nothing to choose and the dev evaluation is skipped.
Rejected answers made by a model (weaker_model, on_policy) are generated just before DPO.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from medtune.config import Study, TaskEntry, dump_study
from medtune.data.records import Example
from medtune.errors import UserError
from medtune.study.store import Store
from medtune.tasks import Task, get_task


@dataclass
class TaskData:
    task: Task
    splits: dict[str, list[Example]]
    data_hash: str
    rejected: str = "wrong_label"  # the rejected strategy (tasks/rejected.py)
    rejected_model: str | None = None


@dataclass
class Progress:
    """Callbacks the CLI hooks a progress display onto; the library prints nothing."""

    stage: Callable[[str, int], None] = lambda name, total: None  # a stage starts, total units
    advance: Callable[[int], None] = lambda n: None
    log: Callable[[str], None] = lambda msg: None


@dataclass
class StudyOutcome:
    out_dir: Path
    report_path: Path
    results: dict[str, Any] = field(default_factory=dict)


def prepare_data(entry: TaskEntry, seed: int, base_dir: Path) -> TaskData:
    from medtune.data.splits import assign_splits, by_split, data_hash
    from medtune.data.validate import load_examples
    from medtune.tasks.rejected import OFFLINE, fill_rejected

    task = get_task(entry.task)
    if entry.data.synthetic is not None:
        syn = entry.data.synthetic
        examples = task.generate(syn.n, seed if syn.seed is None else syn.seed)
    else:
        path = Path(entry.data.path)
        if not path.is_absolute():
            path = base_dir / path
        examples = load_examples(path, task)
    if entry.sizes is not None:
        examples = assign_splits(examples, entry.sizes.model_dump(), seed)
    elif any(ex.split is None for ex in examples):
        raise UserError(
            f"task {entry.task}: some examples have no `split` and the study gives no `sizes`; "
            "add `sizes: {train: N, eval: N, dev: N, test: N}` to the task in the study file"
        )
    strategy = entry.rejected or task.default_rejected
    if strategy in OFFLINE:  # model-made ones come just before DPO (_generated_rejected)
        examples = fill_rejected(examples, task, strategy, seed)
    splits = by_split(examples)
    for name in ("train", "test"):
        if not splits.get(name):
            raise UserError(f"task {entry.task}: the {name} split is empty; give it examples")
    return TaskData(task, splits, data_hash(examples), strategy, entry.rejected_model)


def _device_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


def run_study(study: Study, out_dir: Path, study_file: Path | None = None, progress: Progress | None = None) -> StudyOutcome:
    import torch

    from medtune.models import load_model
    from medtune.report.render import write_report
    from medtune.report.results import build_results

    progress = progress or Progress()
    if study.judges is not None:  # a missing key or judge model fails now, not after training
        from medtune.judges.stage import check_ready

        check_ready(study.judges)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / "study.yaml", dump_study(study))
    torch.manual_seed(study.seed)
    base_dir = study_file.parent if study_file else Path.cwd()
    data = {e.task: prepare_data(e, study.seed, base_dir) for e in study.tasks}
    loaded = load_model(study.model, study.training.dtype)
    tokenizer = loaded.tokenizer
    store = Store(out_dir / "study.db")
    try:
        for entry in study.tasks:
            td = data[entry.task]
            _run_task(study, td, loaded.model, tokenizer, store, progress)
        results = build_results(store, study, {k: v.data_hash for k, v in data.items()})
        report = write_report(results, out_dir / "report")
    finally:
        store.close()
    return StudyOutcome(out_dir, report, results)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _evaluate(study, td: TaskData, model, tokenizer, store, variant: str, split: str) -> float:
    """Predict on a split, store per-example predictions, return the primary metric."""
    from medtune.evaluate.predict import predict
    from medtune.evaluate.scoring import prediction_rows, primary_metric

    examples = td.splits.get(split, [])
    if not examples:
        return float("nan")
    start = time.perf_counter()
    preds = predict(
        model,
        tokenizer,
        td.task,
        examples,
        study.evaluation.mode,
        study.training.max_length,
        study.training.pack_tokens,
        study.evaluation.max_new_tokens,
    )
    seconds = time.perf_counter() - start
    store.add_compute(td.task.name, "eval", f"{variant}/{split}", seconds)
    rows = prediction_rows(td.task, examples, preds)
    store.save_predictions(td.task.name, variant, split, rows)
    if split == "test":  # judges and the grading app show graders the prompt
        store.save_prompts(td.task.name, {ex.id: ex.prompt_text() for ex in examples})
    return primary_metric(td.task, examples, rows)


def _generated_rejected(study, td: TaskData, base_model, sft_model, tokenizer, store, progress) -> TaskData:
    """weaker_model / on_policy: generate answers to the train and eval prompts that have no
    rejected answer, keep the wrong ones (tasks/rejected.py: fill_generated) and store every
    answer with its status under variant "rejected/<strategy>". The seconds count as DPO
    compute: it is paid only to run DPO."""
    from medtune.evaluate.predict import predict_by_generation
    from medtune.models import load_model
    from medtune.tasks.rejected import GENERATED, fill_generated

    if td.rejected not in GENERATED:
        return td
    name, strategy = td.task.name, td.rejected
    model, tok = sft_model, tokenizer
    if strategy == "weaker_model" and td.rejected_model not in (None, study.model):
        loaded = load_model(td.rejected_model, study.training.dtype)
        model, tok = loaded.model, loaded.tokenizer
    elif strategy == "weaker_model":
        model = base_model
    splits = dict(td.splits)
    for split in ("train", "eval"):
        todo = [ex for ex in splits.get(split, []) if not ex.rejected]
        if not todo:
            continue
        progress.stage(f"{name}: {strategy} rejected answers on {split}", 1)
        start = time.perf_counter()
        preds = predict_by_generation(model, tok, td.task, todo,
                                      study.evaluation.max_new_tokens or td.task.max_new_tokens)
        store.add_compute(name, "dpo", f"rejected/{strategy}/{split}", time.perf_counter() - start)
        texts = {p.example_id: p.text for p in preds}
        splits[split], status = fill_generated(splits[split], td.task, texts, study.seed)
        store.save_predictions(name, f"rejected/{strategy}", split, [
            {"example_id": ex.id, "gold": ex.chosen, "predicted": None, "text": texts[ex.id],
             "scores": {"status": status[ex.id]}} for ex in todo])
        progress.log(f"{name}: {strategy} on {split}: " + ", ".join(
            f"{s} {sum(v == s for v in status.values())}" for s in ("generated", "fallback", "dropped")))
        progress.advance(1)
    if not splits.get("train"):
        raise UserError(f"task {name}: no training example has a rejected answer for DPO; "
                        "choose another rejected strategy")
    return replace(td, splits=splits)


def _train_run(study, td, start_model, tokenizer, store, progress, method: str, lr: float, beta: float | None):
    from medtune.train.batching import dpo_groups, sft_groups
    from medtune.train.loop import LoraSettings, TrainSettings, train

    t = study.training
    budget = study.sft if method == "sft" else study.dpo
    settings = TrainSettings(
        method=method,
        learning_rate=lr,
        steps=budget.steps,
        batch_size=t.batch_size,
        grad_accum=t.grad_accum,
        eval_every=budget.eval_every,
        beta=beta if beta is not None else 0.1,
        seed=study.seed,
        lora=None if t.lora is None else LoraSettings(**t.lora.model_dump()),
        warmup_steps=t.warmup_steps,
        schedule=t.schedule,
        pack_tokens=t.pack_tokens,
    )
    make = sft_groups if method == "sft" else dpo_groups
    train_groups = make(tokenizer, td.task, td.splits["train"], t.max_length)
    eval_groups = make(tokenizer, td.task, td.splits.get("eval", []), t.max_length)
    key = f"{td.task.name}/{method}/lr={lr:g}" + (f"/beta={beta:g}" if beta is not None else "")
    config = {"learning_rate": lr, "beta": beta, "steps": budget.steps, "batch_size": t.batch_size}
    run_id = store.start_run(key, td.task.name, method, config, _device_name())
    progress.stage(f"{td.task.name}: {method.upper()} lr={lr:g}" + (f" beta={beta:g}" if beta else ""), budget.steps)
    start = time.perf_counter()
    strata = [json.dumps(ex.label, sort_keys=True) for ex in td.splits["train"]] if td.task.endpoints else None
    result = train(
        copy.deepcopy(start_model),
        train_groups,
        eval_groups,
        settings,
        on_step=lambda s, l: progress.advance(1),
        strata=strata,
    )
    seconds = time.perf_counter() - start  # includes DPO's one-off reference pass
    store.finish_run(
        run_id,
        seconds,
        result.tokens,
        {
            "train_loss": list(enumerate(result.train_losses, start=1)),
            "eval_loss": [(p.step, p.eval_loss) for p in result.curve],
        },
    )
    store.add_compute(td.task.name, method, key, seconds)
    return run_id, key, result.model


def _sweep(study, td, start_model, tokenizer, store, progress, method: str):
    """Train every config of the method's grid; return the model chosen on dev."""
    if method == "sft":
        grid = [(lr, None) for lr in study.sft.learning_rates]
    else:
        grid = [(lr, beta) for lr in study.dpo.learning_rates for beta in study.dpo.betas]
    candidates = []
    for lr, beta in grid:
        run_id, key, model = _train_run(study, td, start_model, tokenizer, store, progress, method, lr, beta)
        if len(grid) > 1:
            progress.log(f"{key}: scoring the dev split")
            dev = _evaluate(study, td, model, tokenizer, store, key, "dev")
            store.set_dev_metric(run_id, dev)
            candidates.append((-dev, len(candidates), run_id, model))
        else:
            candidates.append((0.0, 0, run_id, model))
    # Best dev metric (NaN counts as worst); ties go to the earlier config of the grid.
    _, _, run_id, model = min(candidates, key=lambda c: (math.inf if math.isnan(c[0]) else c[0], c[1]))
    store.select_run(td.task.name, method, run_id)
    return model


def _run_task(study: Study, td: TaskData, base_model, tokenizer, store: Store, progress: Progress) -> None:
    name = td.task.name
    progress.stage(f"{name}: base model on test", 1)
    _evaluate(study, td, base_model, tokenizer, store, "base", "test")
    progress.advance(1)

    sft_model = _sweep(study, td, base_model, tokenizer, store, progress, "sft")
    progress.stage(f"{name}: SFT model on test", 1)
    _evaluate(study, td, sft_model, tokenizer, store, "sft", "test")
    progress.advance(1)

    if study.dpo.enabled:
        dpo_td = _generated_rejected(study, td, base_model, sft_model, tokenizer, store, progress)
        dpo_model = _sweep(study, dpo_td, sft_model, tokenizer, store, progress, "dpo")
        progress.stage(f"{name}: DPO model on test", 1)
        _evaluate(study, td, dpo_model, tokenizer, store, "dpo", "test")
        progress.advance(1)
        del dpo_model
    del sft_model
    _judge(study, name, store, progress)


def _judge(study: Study, task: str, store: Store, progress: Progress) -> None:
    """The study's LLM judges on the task's saved test predictions. Every verdict is cached
    in study.db, so running the study again costs no judge calls."""
    if study.judges is None or task not in study.judges.rubrics:
        return
    from medtune.judges.stage import judge_task

    progress.stage(f"{task}: LLM judges ({study.judges.rubrics[task]})", 1)
    judge_task(store, study.judges, task)
    progress.advance(1)


def results_summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per task for the CLI's closing table."""
    rows = []
    for name, t in results["tasks"].items():
        v = t["variants"]
        p = {(c["a"], c["b"], c["endpoint"]): c["p_adjusted"] for c in t["comparisons"] if not c.get("secondary")}
        rows.append(
            {
                "task": name,
                "metric": t["metric"],
                **{k: v[k]["value"] if k in v else None for k in ("base", "sft", "dpo")},
                "p": p,
                "deploy": t.get("deploy"),
            }
        )
    return rows


def load_results(out_dir: Path) -> dict[str, Any]:
    return json.loads((out_dir / "report" / "results.json").read_text())
