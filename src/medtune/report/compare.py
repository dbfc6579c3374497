"""``medtune compare``: the study's statistics and report for predictions made anywhere (a hosted
fine-tune, another framework), without running a model.

Inputs: the test file (a medtune data file: id, prompt, chosen, label, meta) and one JSONL
file of predictions per variant, one line per test example: ``{"id": ..., "prediction": ...}``.
For a classification task the prediction is a label (a string, or an object for a multi-axis
task such as triage); any other text is read by the task's parser, and what it cannot read is
a parse failure (counted, scored as wrong), as in a study. ``null`` is a parse failure too.
For an open-ended task the prediction is the answer text, scored by the task. Every problem of
every file is reported at once as FILE:LINE (exit 2).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from medtune import __version__
from medtune.errors import UserError
from medtune.report.results import decide, n_permutations, tested_task
from medtune.variants import VARIANTS


def read_predictions(path: Path, task, examples: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per test example (the study's row shape: example_id, gold, predicted, text,
    scores) in example id order; UserError naming every bad line."""
    from medtune.data.readers import read_jsonl

    rows: dict[str, dict[str, Any]] = {}
    first: dict[str, int] = {}
    problems: list[str] = []
    for line, raw in read_jsonl(path):
        pid, pred = raw.get("id"), raw.get("prediction", ...)
        extra = sorted(set(raw) - {"id", "prediction"})
        if not isinstance(pid, str) or not pid:
            problems.append(f"{path}:{line}: id: missing or not text; each line needs "
                            '{"id": "<test example id>", "prediction": ...}')
            continue
        if pred is ...:
            problems.append(f"{path}:{line}: prediction: missing; give the label (or answer text), "
                            "or null for no answer")
            continue
        if extra:
            problems.append(f"{path}:{line}: unknown keys {extra}; only id and prediction are read")
            continue
        if pid not in examples:
            problems.append(f"{path}:{line}: id {pid!r} is not in the test file")
            continue
        if pid in first:
            problems.append(f"{path}:{line}: id {pid!r} repeats line {first[pid]}; keep one prediction per example")
            continue
        first[pid] = line
        row, problem = _row(task, examples[pid], pred)
        if problem:
            problems.append(f"{path}:{line}: prediction: {problem}")
            continue
        rows[pid] = row
    missing = [i for i in examples if i not in first]
    if missing:
        shown = ", ".join(repr(i) for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
        problems.append(f"{path}: no prediction for {len(missing)} test example(s): {shown}; "
                        "every test example needs one line (null for no answer)")
    if problems:
        n = len(problems)
        raise UserError(f"{path}: {n} problem{'s' if n != 1 else ''}", problems=problems)
    return [rows[i] for i in sorted(rows)]


def _row(task, example, pred) -> tuple[dict[str, Any] | None, str | None]:
    if task.open_ended:
        if pred is not None and not isinstance(pred, str):
            return None, "expected the answer text (a string) or null"
        text = pred or ""
        return {"example_id": example.id, "gold": example.chosen, "predicted": None, "text": text,
                "scores": task.score(example, text)}, None
    if pred is None:
        label = None
    elif isinstance(pred, dict) or (isinstance(pred, str) and task.validate_label(pred) is None):
        problem = task.validate_label(pred)
        if problem:
            return None, problem
        label = pred
    elif isinstance(pred, str):
        label = task.parse(pred)  # free text: the task's parser, as in a study; None = parse failure
    else:
        return None, f"expected a label (text{' or an object' if len(task.endpoints) > 1 else ''}) or null"
    return {"example_id": example.id, "gold": example.label, "predicted": label,
            "text": pred if isinstance(pred, str) else "", "scores": None}, None


def compare_results(test_file: Path, task_name: str, predictions: dict[str, Path], statistics,
                    seed: int = 0) -> dict[str, Any]:
    """results.json (schema 1) for the given variants' prediction files."""
    from medtune.data.validate import load_examples
    from medtune.tasks import get_task

    unknown = [v for v in predictions if v not in VARIANTS]
    if unknown:
        raise UserError(f"--predictions: unknown variant(s) {unknown}; use base=FILE, sft=FILE, dpo=FILE")
    if len(predictions) < 2:
        raise UserError("--predictions: give at least two variants to compare, e.g. base=a.jsonl sft=b.jsonl")
    task = get_task(task_name)
    examples = {ex.id: ex for ex in load_examples(test_file, task)}
    rows = {v: read_predictions(Path(predictions[v]), task, examples) for v in VARIANTS if v in predictions}
    n_perm = n_permutations(statistics, [task])
    tasks_out = {task.name: tested_task(task, rows, statistics, seed, n_perm)}
    compute: dict[str, Any] = {"seconds": {}, "dpo_to_sft": None, "per_task": {}}
    stats = decide(tasks_out, statistics, compute)
    return {
        "schema": 1,
        "study": {
            "name": f"compare {task.name}",
            "model": ", ".join(f"{v}={predictions[v]}" for v in VARIANTS if v in predictions),
            "seed": seed,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "medtune_version": __version__,
            "data_hashes": {},
            "source": "predictions (medtune compare)",
        },
        **stats,
        "tasks": tasks_out,
        "compute": compute,
    }
