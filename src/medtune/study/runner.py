"""The study, stage by stage: data -> base eval -> SFT sweep -> dev selection -> DPO sweep from
the best SFT model -> test eval of base, SFT and DPO -> statistics -> report.

Every task is fine-tuned separately from the same base model, as in the paper. Dev selection
uses the task's metric (F1), not the loss; with a single candidate there is nothing to choose
and the dev evaluation is skipped.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
    from medtune.tasks.rejected import fill_rejected

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
    examples = fill_rejected(examples, task, entry.rejected, seed)
    splits = by_split(examples)
    for name in ("train", "test"):
        if not splits.get(name):
            raise UserError(f"task {entry.task}: the {name} split is empty; give it examples")
    return TaskData(task, splits, data_hash(examples))


def _device_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


def run_study(study: Study, out_dir: Path, study_file: Path | None = None, progress: Progress | None = None) -> StudyOutcome:
    import torch

    from medtune.models import load_model
    from medtune.report.render import write_report
    from medtune.report.results import build_results

    progress = progress or Progress()
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
    """Predict on a split, store per-example predictions, return the primary metric (F1)."""
    from medtune.evaluate.metrics import f1
    from medtune.evaluate.predict import predict

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
    rows = [
        {"example_id": ex.id, "gold": ex.label, "predicted": p.label, "text": p.text, "scores": p.scores}
        for ex, p in zip(examples, preds)
    ]
    store.save_predictions(td.task.name, variant, split, rows)
    if split == "test":  # judges and the grading app show graders the prompt
        store.save_prompts(td.task.name, {ex.id: ex.prompt_text() for ex in examples})
    scores = []
    for ep in td.task.endpoints:
        gold = [td.task.label_dict(ex.label)[ep.name] for ex in examples]
        pred = [None if p.label is None else td.task.label_dict(p.label)[ep.name] for p in preds]
        scores.append(f1(gold, pred, ep.positive))
    return sum(scores) / len(scores)


def _train_run(study, td, start_model, tokenizer, store, progress, method: str, lr: float, beta: float | None,
               ref_cache=None):
    from medtune.train.batching import dpo_groups, sft_groups
    from medtune.train.loop import LoraSettings, TrainSettings, drawn_indices, train

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
    strata = [json.dumps(ex.label, sort_keys=True) for ex in td.splits["train"]] if td.task.endpoints else None
    reference = None
    if ref_cache is not None:  # its seconds are counted apart, once
        drawn = drawn_indices(len(train_groups), settings, strata)
        reference = _reference(td, ref_cache, store, train_groups, eval_groups, drawn)
    start = time.perf_counter()
    result = train(
        copy.deepcopy(start_model),
        train_groups,
        eval_groups,
        settings,
        on_step=lambda s, l: progress.advance(1),
        strata=strata,
        reference=reference,
    )
    seconds = time.perf_counter() - start
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


def _reference(td, cache, store, train_groups, eval_groups, drawn):
    """Reference log-probs from the study directory's cache; the seconds of the pairs computed
    now are DPO compute (a rerun, or another config of the sweep, computes none)."""
    before, start = cache.pairs_computed, time.perf_counter()
    reference = cache.reference(train_groups, eval_groups, drawn)
    if cache.pairs_computed > before:
        key = f"{td.task.name}/dpo/reference/{cache.weights[:12]}"
        store.add_compute(td.task.name, "dpo", key, time.perf_counter() - start)
    return reference


def _sweep(study, td, start_model, tokenizer, store, progress, method: str):
    """Train every config of the method's grid; return the model chosen on dev."""
    if method == "sft":
        grid = [(lr, None) for lr in study.sft.learning_rates]
    else:
        grid = [(lr, beta) for lr in study.dpo.learning_rates for beta in study.dpo.betas]
    ref_cache = None
    if method == "dpo":  # the start model (best SFT) is the reference of every DPO config
        from medtune.train.refcache import ReferenceCache

        ref_cache = ReferenceCache(store.path.parent / "reference", start_model, study.training.pack_tokens)
    candidates = []
    for lr, beta in grid:
        run_id, key, model = _train_run(study, td, start_model, tokenizer, store, progress, method, lr, beta, ref_cache)
        if len(grid) > 1:
            progress.log(f"{key}: scoring the dev split")
            dev = _evaluate(study, td, model, tokenizer, store, key, "dev")
            store.set_dev_metric(run_id, dev)
            candidates.append((-dev, len(candidates), run_id, model))
        else:
            candidates.append((0.0, 0, run_id, model))
    # Best dev F1; ties go to the earlier config of the grid (the higher learning rate first).
    _, _, run_id, model = min(candidates, key=lambda c: (c[0], c[1]))
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
        dpo_model = _sweep(study, td, sft_model, tokenizer, store, progress, "dpo")
        progress.stage(f"{name}: DPO model on test", 1)
        _evaluate(study, td, dpo_model, tokenizer, store, "dpo", "test")
        progress.advance(1)
        del dpo_model
    del sft_model


def results_summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per task for the CLI's closing table."""
    rows = []
    for name, t in results["tasks"].items():
        v = t["variants"]
        p = {(c["a"], c["b"], c["endpoint"]): c["p_adjusted"] for c in t["comparisons"]}
        rows.append(
            {
                "task": name,
                **{k: v[k]["value"] if k in v else None for k in ("base", "sft", "dpo")},
                "p": p,
                "deploy": t.get("deploy"),
            }
        )
    return rows


def load_results(out_dir: Path) -> dict[str, Any]:
    return json.loads((out_dir / "report" / "results.json").read_text())
