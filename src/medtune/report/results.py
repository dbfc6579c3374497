"""study.db -> the results dict of DESIGN.md's contract (``report/results.json``, schema 1).

Classification tasks (report/classification.py), per variant: per-endpoint headline F1
(positive-class or macro, bootstrap 95% interval), accuracy, sensitivity, specificity and the
parse-failure rate; per pair of variants and endpoint the decisive paired permutation test of
the F1 difference, and exact McNemar on accuracy beside it. Open-ended tasks (reasoning, summarization) have one endpoint per automatic outcome
(accuracy; key-fact coverage and ROUGE-L), with the tests of report/outcomes.py.

Per task graded by LLM judges or physicians: a ``graded`` section per source (report/graded.py).
An open-ended task that has one takes its headline metric and comparisons from its first graded
source (judges before physicians: the paper's mean Likert score with the paired t-test, or the
physicians' correct/incorrect with McNemar); its automatic outcomes move to ``automatic``. Only
primary comparisons enter the multiple-comparison family (``statistics.family``,
report/verdicts.py, docs/statistics.md). Each task also says how its
rejected answers were made (``rejected``). Per task also the sweep
(report/sweep_results.py): each config's eval-loss curve, plateau, dev metric and the winner; per
method the compute spent.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from medtune import __version__
from medtune.config import Study
from medtune.report import classification, outcomes
from medtune.report.graded import PRIMARY_TEST, graded_sources, primary
from medtune.report.recommend import recommend
from medtune.report.sweep_results import compute_per_method, sweep_results
from medtune.report.verdicts import apply_family
from medtune.stats.f1diff import needed_resamples
from medtune.store import Store
from medtune.tasks import get_task
from medtune.variants import VARIANTS

PAIRS = (("base", "sft"), ("sft", "dpo"), ("base", "dpo"))


def _rejected_summary(store: Store, task, strategy: str, model: str | None) -> dict[str, Any]:
    """How DPO's rejected answers were made; for a model strategy, per split how many generated
    answers were used, replaced by the task's default strategy (the model was right), or left
    the example without a pair."""
    out: dict[str, Any] = {"strategy": strategy}
    if strategy == "weaker_model":
        out["model"] = model or "the study's model, not fine-tuned"
    for split in ("train", "eval"):
        rows = store.predictions(task.name, f"rejected/{strategy}", split)
        if rows:
            statuses = [r["scores"]["status"] for r in rows]
            out.setdefault("generated_answers", {})[split] = {
                s: statuses.count(s) for s in ("generated", "fallback", "dropped")}
    if "generated_answers" in out:
        out["fallback_strategy"] = task.default_rejected
    return out


def n_permutations(statistics, tasks, pairs=PAIRS) -> int:
    """Permutations of the F1 test: enough for the largest family the study could have
    (every pair on every endpoint)."""
    m = sum(len(pairs) * max(1, len(t.endpoints) or len(t.outcomes)) for t in tasks)
    if statistics.family == "paper":
        m = len(tasks)
    return needed_resamples(statistics.alpha / max(m, 1), statistics.permutations)


def tested_task(task, rows_by_variant: dict[str, list[dict]], statistics, seed: int,
                n_perm: int, pairs=PAIRS) -> dict[str, Any]:
    """One task's variants and paired comparisons (p not yet adjusted) from its per-example
    test rows ({variant: rows in example id order}): the part a study and `medtune compare`
    share."""
    n_test = len(next(iter(rows_by_variant.values()))) if rows_by_variant else 0
    summary = outcomes.variant_summary if task.open_ended else classification.variant_summary
    variants = {v: summary(task, rows, statistics.bootstrap, seed) for v, rows in rows_by_variant.items()}
    task_comparisons = []
    for a, b in pairs:
        if a not in rows_by_variant or b not in rows_by_variant:
            continue
        ra, rb = rows_by_variant[a], rows_by_variant[b]
        assert [r["example_id"] for r in ra] == [r["example_id"] for r in rb], "unpaired predictions"
        if task.open_ended:
            task_comparisons += outcomes.comparisons(task, a, b, ra, rb, statistics.alpha)
        else:
            task_comparisons += classification.comparisons(
                task, a, b, ra, rb, n_boot=statistics.bootstrap, n_perm=n_perm, seed=seed,
                alpha=statistics.alpha)
    return {
        "kind": task.kind,
        "metric": task.metric,
        "n_test": n_test,
        "endpoints": [o.name for o in task.outcomes] or [ep.name for ep in task.endpoints],
        "variants": variants,
        "comparisons": task_comparisons,
    }


def decide(tasks_out: dict[str, Any], statistics, compute: dict[str, Any]) -> dict[str, Any]:
    """The family correction, each comparison's verdict, each task's recommendation; returns
    the top-level statistics keys of results.json."""
    family = apply_family(tasks_out, statistics)
    for name, result in tasks_out.items():
        if not result["variants"]:
            result["deploy"] = None
            result["recommendation"] = ("No grader has scored this task's outputs yet: give it a judge "
                                        "(judges.rubrics in the study file) or grade it (medtune grade "
                                        "items), then run medtune study report.")
            continue
        ratio = compute.get("per_task", {}).get(name, {}).get("dpo_to_sft")
        result["deploy"], result["recommendation"] = recommend(
            result, alpha_note=result["family"]["text"], dpo_to_sft=ratio)
    return {"alpha": statistics.alpha, "correction": statistics.correction, **family}


def build_results(store: Store, study: Study, data_hashes: dict[str, str]) -> dict[str, Any]:
    tasks_out: dict[str, Any] = {}
    from medtune.report.baselines import baseline_summaries, versus_baselines
    from medtune.study.baselines import study_pairs

    variants_of_study, pairs_of_study = study_pairs(study, VARIANTS, PAIRS)  # served baselines join in
    tasks = [get_task(entry.task) for entry in study.tasks]
    n_perm = n_permutations(study.statistics, tasks, pairs_of_study)
    for entry, task in zip(study.tasks, tasks):
        rows_by_variant = {v: store.predictions(task.name, v, "test") for v in variants_of_study}
        rows_by_variant = {v: r for v, r in rows_by_variant.items() if r}
        n_test = len(next(iter(rows_by_variant.values()))) if rows_by_variant else 0
        graded = graded_sources(store, study, task.name, variants_of_study, pairs_of_study)
        if not task.endpoints and not task.open_ended:
            tasks_out[task.name] = _graded_only(task, n_test, graded)
            continue
        tasks_out[task.name] = {
            **tested_task(task, rows_by_variant, study.statistics, study.seed, n_perm, pairs_of_study),
            "rejected": _rejected_summary(store, task, entry.rejected or task.default_rejected,
                                          entry.rejected_model),
            "sweep": sweep_results(store, study, task.name),
        }
        if graded:
            tasks_out[task.name]["graded"] = graded
        if study.baselines:
            tasks_out[task.name]["baselines"] = baseline_summaries(store, study, task.name)
        if task.open_ended:
            _graded_headline(tasks_out[task.name], graded)

    compute = _compute(store)
    compute["dtype"] = _dtype(store)
    statistics = decide(tasks_out, study.statistics, compute)
    for result in tasks_out.values():
        if result.get("baselines") and result["variants"]:  # "better than the hosted model?" too
            result["recommendation"] += versus_baselines(result)
    return {
        "schema": 1,
        "study": {
            "name": study.name,
            "model": study.model,
            "seed": study.seed,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "medtune_version": __version__,
            "data_hashes": data_hashes,
            "model_revision": (store.meta("model_revision") or {}).get("commit"),  # a Hub model's pinned commit
        },
        **statistics,
        "tasks": tasks_out,
        "compute": compute,
    }


def _graded_headline(out: dict[str, Any], graded: dict[str, Any]) -> None:
    """An open-ended task with a graded source: the graders' score is its headline (the paper
    judged summaries by Likert score and reasoning answers by physicians), the automatic
    outcomes are kept under ``automatic``. The same comparison objects, so the correction
    counts each test once."""
    key, source = primary(graded)
    if source is None:
        return
    out["automatic"] = {k: out[k] for k in ("metric", "endpoints", "variants", "comparisons")}
    test = PRIMARY_TEST[source["kind"]]
    out.update(metric=source["metric"], endpoints=[], variants=source["variants"], graded_by=key,
               comparisons=[c for c in source["comparisons"] if c["test"] == test])


def _graded_only(task, n_test: int, graded: dict[str, Any]) -> dict[str, Any]:
    """A task with neither labels nor automatic outcomes (a user's free-text task): graders
    are its only score, so until one has graded it has no variants."""
    out = {"kind": task.kind, "metric": "none", "n_test": n_test, "endpoints": [], "variants": {},
           "comparisons": [], "graded_by": None}
    if graded:
        out["graded"] = graded
    _graded_headline(out, graded)
    out.pop("automatic", None)
    return out


def _dtype(store: Store) -> str | None:
    """The type the study's training runs computed in, as each run recorded it (train/precision.py;
    "bf16, fp32" if they differ); a study without recorded runs: what its config resolved to when
    it last started (study/guard.py), None for a directory of an older medtune that never started
    a run."""
    recorded = sorted({json.loads(r["config"]).get("dtype") for r in store.runs()} - {None})
    return ", ".join(recorded) or store.meta("dtype")


def _compute(store: Store) -> dict[str, Any]:
    per_task_raw = store.compute_seconds()
    totals: dict[str, float] = {"sft": 0.0, "dpo": 0.0, "eval": 0.0}
    per_task = {}
    for task, stages in per_task_raw.items():
        entry = {k: round(v, 2) for k, v in stages.items()}
        if stages.get("sft") and stages.get("dpo"):
            entry["dpo_to_sft"] = round(stages["dpo"] / stages["sft"], 3)
        per_task[task] = entry
        for stage, seconds in stages.items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    # Per optimizer step too: the totals also reflect how many steps each method was given,
    # the per-step ratio is what one DPO step costs against one SFT step on the same data.
    per_step: dict[str, float] = {}
    for method in ("sft", "dpo"):
        runs = [r for r in store.runs() if r["method"] == method and r["status"] == "done"]
        steps = sum(json.loads(r["config"])["steps"] for r in runs)
        if steps:
            per_step[method] = round(sum(r["seconds"] for r in runs) / steps, 3)
    return {
        "seconds": {k: round(v, 2) for k, v in totals.items()},
        "dpo_to_sft": round(totals["dpo"] / totals["sft"], 3) if totals["sft"] and totals["dpo"] else None,
        "seconds_per_step": per_step,
        "dpo_to_sft_per_step": round(per_step["dpo"] / per_step["sft"], 3) if len(per_step) == 2 else None,
        "per_task": per_task,
        "per_method": compute_per_method(store),
    }
