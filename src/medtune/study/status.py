"""What a study directory holds and where a run stopped: ``medtune study status DIR``.

Reads study.db (and the study.yaml the run wrote, to list what has not started yet); never
runs a model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from medtune.errors import UserError


@dataclass
class StageRow:
    name: str
    state: str  # pending | running (or interrupted) | done


@dataclass
class RunRow:
    key: str
    state: str  # pending | running (or interrupted) | done
    step: int  # step of the newest checkpoint (the budget once done)
    steps: int
    checkpoint: str  # newest checkpoint's directory under the study directory
    resumable: bool  # training can continue from it (its optimizer/RNG state is kept)
    plateau: int | None
    dev_metric: float | None
    selected: bool


def planned(out_dir: Path) -> tuple[list[str], list[str]]:
    """(stage names, probe run keys) the directory's study.yaml will run, in order."""
    from medtune.config import load_study
    from medtune.study.evaluation import stage_name
    from medtune.study.sweep import grid
    from medtune.study.training import run_key

    path = out_dir / "study.yaml"
    if not path.exists():
        return [], []
    study = load_study(path)
    stages, runs = [], []
    for entry in study.tasks:
        t = entry.task
        methods = ["sft", "dpo"] if study.dpo.enabled else ["sft"]
        stages.append(stage_name(t, "base", "test"))
        for method in methods:
            configs = grid(study, method)
            keys = [run_key(t, method, lr, beta) for lr, beta in configs]
            runs += keys
            stages.append(f"{t}/{method}:sweep")
            if len(configs) > 1:
                stages += [stage_name(t, k, "dev") for k in keys]
            stages.append(stage_name(t, method, "test"))
    return stages, runs


def study_status(out_dir: Path) -> tuple[list[StageRow], list[RunRow]]:
    from medtune.store import Store

    if not (out_dir / "study.db").exists():
        raise UserError(f"{out_dir}: no study.db here; give the --out directory of `medtune study run`")
    planned_stages, planned_runs = planned(out_dir)
    store = Store(out_dir / "study.db")
    try:
        stored = {r["name"]: r["state"] for r in store.stages()}
        stages = [StageRow(n, stored.get(n, "pending")) for n in planned_stages]
        stages += [StageRow(n, s) for n, s in stored.items() if n not in planned_stages]
        runs_by_key = {r["key"]: r for r in store.runs()}
        rows = []
        for key in planned_runs + [k for k in runs_by_key if k not in planned_runs]:
            r = runs_by_key.get(key)
            if r is None:
                rows.append(RunRow(key, "pending", 0, 0, "", False, None, None, False))
                continue
            steps = json.loads(r["config"])["steps"]
            ckpts = store.checkpoints(r["id"])
            newest = ckpts[-1] if ckpts else None
            reached = steps if r["status"] == "done" else (newest["step"] if newest else 0)
            rows.append(RunRow(key, r["status"], reached, steps, newest["path"] if newest else "",
                               bool(newest and newest["resumable"]), r["plateau_step"], r["dev_metric"],
                               bool(r["selected"])))
    finally:
        store.close()
    return stages, rows
