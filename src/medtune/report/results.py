"""study.db -> the results dict of DESIGN.md's contract (``report/results.json``, schema 1).

Classification tasks, per variant: per-endpoint F1 (bootstrap 95% interval), accuracy (Wilson
interval), sensitivity and specificity, and the parse-failure rate; the primary value is F1
(the mean of the endpoints' F1 for a multi-axis task such as triage). Per task: exact McNemar
tests on the paired per-example correctness of base vs SFT, SFT vs DPO and base vs DPO, per
endpoint. Open-ended tasks (reasoning, summarization) have one endpoint per automatic outcome
(accuracy; key-fact coverage and ROUGE-L), with the tests of report/outcomes.py.

Per task graded by LLM judges or physicians: a ``graded`` section per source (report/graded.py).
An open-ended task that has one takes its headline metric and comparisons from its first graded
source (judges before physicians: the paper's mean Likert score with the paired t-test, or the
physicians' correct/incorrect with McNemar); its automatic outcomes move to ``automatic``. The
p-values of *every* comparison of the study, graded and automatic ones included, are corrected
together (Bonferroni by default, as the paper did over its tasks). Each task also says how its
rejected answers were made (``rejected``). Per task also the sweep
(report/sweep.py): each config's eval-loss curve, plateau, dev metric and the winner; per
method the compute spent.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np

from medtune import __version__
from medtune.config import Study
from medtune.evaluate.metrics import classification_metrics, correct, f1
from medtune.report import outcomes
from medtune.report.graded import PRIMARY_TEST, graded_sources, primary
from medtune.report.recommend import recommend
from medtune.report.sweep import compute_per_method, sweep_results
from medtune.stats import adjust_pvalues, bootstrap_interval, mcnemar_exact, wilson_interval
from medtune.study.store import Store
from medtune.tasks import get_task

VARIANTS = ("base", "sft", "dpo")
PAIRS = (("base", "sft"), ("sft", "dpo"), ("base", "dpo"))


def _endpoint_arrays(task, rows: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{endpoint: (gold labels, predicted labels or None)} aligned by example id order."""
    out = {}
    for ep in task.endpoints:
        gold = np.array([task.label_dict(r["gold"])[ep.name] for r in rows], dtype=object)
        pred = np.array(
            [None if r["predicted"] is None else task.label_dict(r["predicted"])[ep.name] for r in rows],
            dtype=object,
        )
        out[ep.name] = (gold, pred)
    return out


def _variant_summary(task, rows, n_boot: int, seed: int) -> dict[str, Any]:
    arrays = _endpoint_arrays(task, rows)
    per_endpoint = {}
    for ep in task.endpoints:
        gold, pred = arrays[ep.name]
        m = classification_metrics(gold, pred, ep.positive)
        k = int(correct(gold, pred).sum())
        per_endpoint[ep.name] = {
            "f1": m["f1"],
            "f1_ci95": list(
                bootstrap_interval(lambda g, p, pos=ep.positive: f1(g, p, pos), gold, pred, n_boot=n_boot, seed=seed)
            ),
            "accuracy": m["accuracy"],
            "accuracy_ci95": list(wilson_interval(k, len(gold))),
            "sensitivity": m["sensitivity"],
            "specificity": m["specificity"],
        }
    names = [ep.name for ep in task.endpoints]
    if len(names) == 1:
        primary = per_endpoint[names[0]]
        value, ci = primary["f1"], primary["f1_ci95"]
    else:
        golds = [arrays[n][0] for n in names]
        preds = [arrays[n][1] for n in names]
        positives = [ep.positive for ep in task.endpoints]

        def mean_f1(*cols):
            half = len(cols) // 2
            return float(np.mean([f1(g, p, pos) for g, p, pos in zip(cols[:half], cols[half:], positives)]))

        value = mean_f1(*golds, *preds)
        ci = list(bootstrap_interval(mean_f1, *golds, *preds, n_boot=n_boot, seed=seed))
    parse_failures = sum(1 for r in rows if r["predicted"] is None)
    return {
        "value": value,
        "ci95": ci,
        "f1": value,
        "accuracy": float(np.mean([per_endpoint[n]["accuracy"] for n in names])),
        "accuracy_ci95": per_endpoint[names[0]]["accuracy_ci95"] if len(names) == 1 else None,
        "sensitivity": float(np.mean([per_endpoint[n]["sensitivity"] for n in names])),
        "specificity": float(np.mean([per_endpoint[n]["specificity"] for n in names])),
        "parse_failure_rate": parse_failures / len(rows) if rows else 0.0,
        "per_endpoint": per_endpoint,
    }


def _mcnemar_per_endpoint(task, a: str, b: str, ra: list[dict], rb: list[dict]) -> list[dict[str, Any]]:
    aa, ab = _endpoint_arrays(task, ra), _endpoint_arrays(task, rb)
    out = []
    for ep in task.endpoints:
        test = mcnemar_exact(correct(*aa[ep.name]), correct(*ab[ep.name]))
        out.append({"a": a, "b": b, "endpoint": ep.name, "test": "mcnemar_exact", "n": test.n,
                    "a_only": test.a_only, "b_only": test.b_only, "p": test.p})
    return out


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


def build_results(store: Store, study: Study, data_hashes: dict[str, str]) -> dict[str, Any]:
    tasks_out: dict[str, Any] = {}
    comparisons: list[dict[str, Any]] = []  # every comparison of the study, for the correction
    for entry in study.tasks:
        task = get_task(entry.task)
        rows_by_variant = {v: store.predictions(task.name, v, "test") for v in VARIANTS}
        rows_by_variant = {v: r for v, r in rows_by_variant.items() if r}
        n_test = len(next(iter(rows_by_variant.values()))) if rows_by_variant else 0
        graded = graded_sources(store, study, task.name, VARIANTS, PAIRS)
        for source in graded.values():
            comparisons.extend(source["comparisons"])
        if not task.endpoints and not task.open_ended:
            tasks_out[task.name] = _graded_only(task, n_test, graded)
            continue
        summary = outcomes.variant_summary if task.open_ended else _variant_summary
        variants = {
            v: summary(task, rows, study.statistics.bootstrap, study.seed)
            for v, rows in rows_by_variant.items()
        }
        task_comparisons = []
        for a, b in PAIRS:
            if a not in rows_by_variant or b not in rows_by_variant:
                continue
            ra, rb = rows_by_variant[a], rows_by_variant[b]
            assert [r["example_id"] for r in ra] == [r["example_id"] for r in rb], "unpaired predictions"
            compare = outcomes.comparisons if task.open_ended else _mcnemar_per_endpoint
            task_comparisons += compare(task, a, b, ra, rb)
        comparisons.extend(task_comparisons)
        tasks_out[task.name] = {
            "kind": task.kind,
            "metric": task.metric,
            "n_test": n_test,
            "endpoints": [o.name for o in task.outcomes] or [ep.name for ep in task.endpoints],
            "variants": variants,
            "comparisons": task_comparisons,
            "rejected": _rejected_summary(store, task, entry.rejected or task.default_rejected,
                                          entry.rejected_model),
            "sweep": sweep_results(store, study, task.name),
        }
        if graded:
            tasks_out[task.name]["graded"] = graded
        if task.open_ended:
            _graded_headline(tasks_out[task.name], graded)

    adjusted = adjust_pvalues([c["p"] for c in comparisons], study.statistics.correction)
    for c, p_adj in zip(comparisons, adjusted):
        c["p_adjusted"] = p_adj
        c["significant"] = bool(p_adj < study.statistics.alpha)

    compute = _compute(store)
    compute["dtype"] = _dtype(store, study)
    for name, result in tasks_out.items():
        if not result["variants"]:
            result["deploy"] = None
            result["recommendation"] = ("No grader has scored this task's outputs yet: give it a judge "
                                        "(judges.rubrics in the study file) or grade it (medtune grade "
                                        "items), then run medtune study report.")
            continue
        ratio = compute["per_task"].get(name, {}).get("dpo_to_sft")
        result["deploy"], result["recommendation"] = recommend(result, dpo_to_sft=ratio)

    return {
        "schema": 1,
        "study": {
            "name": study.name,
            "model": study.model,
            "seed": study.seed,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "medtune_version": __version__,
            "data_hashes": data_hashes,
        },
        "alpha": study.statistics.alpha,
        "correction": study.statistics.correction,
        "n_comparisons": len(comparisons),
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


def _dtype(store: Store, study: Study) -> str:
    """The type the study's training runs computed in, as each run recorded it (train/precision.py;
    "bf16, fp32" if they differ); a study without recorded runs: what its config resolves to here."""
    from medtune.train.precision import label

    recorded = sorted({json.loads(r["config"]).get("dtype") for r in store.runs()} - {None})
    return ", ".join(recorded) or label(study.training.dtype, study.training.mixed_precision)


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
