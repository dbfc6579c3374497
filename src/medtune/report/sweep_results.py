"""The sweep in the report: per task and method, every config's eval-loss curve with its
plateau, the step chosen, its dev metric, and the winner; and compute per method.

``sweep_results`` and ``compute_per_method`` read study.db into results.json (keys added to
schema 1: ``tasks.<task>.sweep`` and ``compute.per_method``); ``sweep_figure`` and
``sweep_rows`` turn those keys into an SVG and table rows. Nothing here runs a model.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

from medtune.config import Study
from medtune.store import Store
from medtune.tasks import get_task

METHODS = ("sft", "dpo")


def _nan_to_none(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else x


def sweep_results(store: Store, study: Study, task: str) -> dict[str, Any]:
    """``tasks.<task>.sweep``: the selection rule, then per method its candidates and winner."""
    rule = study.selection.model_dump()
    runs = store.runs(task)
    by_id = {r["id"]: r for r in runs}
    out: dict[str, Any] = {"rule": rule}
    for method in METHODS:
        candidates = []
        for r in runs:
            if r["method"] != method or r["role"] != "probe" or r["status"] != "done":
                continue
            config = json.loads(r["config"])
            curve = store.curve(r["id"], "eval_loss")
            chosen = by_id.get(r["chosen_run"])
            candidates.append({
                "key": r["key"],
                "learning_rate": config["learning_rate"],
                "beta": config.get("beta"),
                "steps": config["steps"],
                "curve": [[s, v] for s, v in curve],
                "plateau_step": r["plateau_step"],
                "plateau_found": bool(r["plateau_found"]),  # as the sweep found it (study/sweep.py)
                "chosen_step": r["chosen_step"],
                "retrained": chosen is not None and chosen["id"] != r["id"],
                "eval_loss": _nan_to_none(r["chosen_eval_loss"]),
                "dev_metric": _nan_to_none(r["dev_metric"]),
                "selected": bool(r["selected"]),
                "seconds": round(r["seconds"] + (chosen["seconds"] if chosen and chosen["id"] != r["id"] else 0), 2),
            })
        if candidates:
            winner = next((c["key"] for c in candidates if c["selected"]), None)
            out[method] = {"metric": get_task(task).metric, "winner": winner, "candidates": candidates}
    return out


def compute_per_method(store: Store) -> dict[str, Any]:
    """``compute.per_method``: wall seconds (and hours, the paper's unit), runs, optimizer
    steps and tokens per training method, retrains included; evaluation seconds apart."""
    out: dict[str, Any] = {}
    for method in METHODS:
        runs = [r for r in store.runs() if r["method"] == method and r["status"] == "done"]
        if not runs:
            continue
        seconds = sum(r["seconds"] for r in runs)
        steps = sum(json.loads(r["config"])["steps"] for r in runs)
        out[method] = {
            "seconds": round(seconds, 2),
            "hours": round(seconds / 3600, 4),
            "runs": len(runs),
            "steps": steps,
            "tokens": sum(r["tokens"] or 0 for r in runs),
            "seconds_per_step": round(seconds / steps, 3),
            "devices": sorted({r["device"] for r in runs if r["device"]}),
        }
    evaluation = sum(v.get("eval", 0.0) for v in store.compute_seconds().values())
    out["eval"] = {"seconds": round(evaluation, 2), "hours": round(evaluation / 3600, 4)}
    return out


# --- the report's view ---------------------------------------------------------------------

def _label(c: dict[str, Any]) -> str:
    return f"lr={c['learning_rate']:g}" + ("" if c.get("beta") is None else f", beta={c['beta']:g}")


def sweep_rows(sweep: dict[str, Any], method: str) -> list[list[str]]:
    """Config | steps probed | plateau | step used | eval loss | dev metric | winner."""
    rows = []
    for c in sweep[method]["candidates"]:
        plateau = "–" if c["plateau_step"] is None else str(c["plateau_step"])
        if c["plateau_step"] is not None and not c["plateau_found"]:
            plateau += " (none: still improving)"
        used = "–" if c["chosen_step"] is None else str(c["chosen_step"]) + (" (retrained)" if c["retrained"] else "")
        rows.append([_label(c), str(c["steps"]), plateau, used,
                     "–" if c["eval_loss"] is None else f"{c['eval_loss']:.4f}",
                     "–" if c["dev_metric"] is None else f"{c['dev_metric']:.3f}",
                     "yes" if c["selected"] else ""])
    return rows


def sweep_headers(metric: str) -> list[str]:
    from medtune.report.recommend import metric_label

    return ["Config", "Steps probed", "Plateau step", "Step used", "Eval loss there",
            f"Dev {metric_label(metric)}", "Selected"]


def sweep_figure(task: str, sweep: dict[str, Any]) -> str:
    """SVG: one panel per method, the eval-loss curve of every config, its plateau marked
    (a circle, filled for the winner, whose line is also drawn thicker; the report's caption
    says so). Deterministic: the same sweep gives byte-identical SVG."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from medtune.report.figures import _mpl_text, _style

    methods = [m for m in METHODS if m in sweep]
    with _style():
        fig = Figure(figsize=(5.4 * max(1, len(methods)), 3.0), layout="constrained")
        axes = fig.subplots(1, max(1, len(methods)), squeeze=False).ravel()
        for ax, method in zip(axes, methods):
            for c in sweep[method]["candidates"]:
                if len(c["curve"]) < 1:
                    continue
                steps, losses = zip(*c["curve"])
                width = 2.4 if c["selected"] else 1.1
                (line,) = ax.plot(steps, losses, linewidth=width, label=_label(c) + (" (winner)" if c["selected"] else ""))
                at = dict(map(tuple, c["curve"])).get(c["plateau_step"])
                if at is not None:
                    ax.plot([c["plateau_step"]], [at], "o", markersize=7, color=line.get_color(),
                            markerfacecolor=line.get_color() if c["selected"] else "white")
            ax.set_title(f"{_mpl_text(task)}: {method.upper()} sweep", loc="left", fontweight="bold", fontsize=10)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("optimizer step")
            ax.set_ylabel("eval loss")
            ax.legend(fontsize=7, frameon=False)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buf.getvalue()
