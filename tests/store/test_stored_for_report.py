"""What the report reads instead of recomputing it: the plateau flag (migration 0006 backfills
it on an older study.db exactly as study/plateau.py finds it), the jury's verdicts, the dtype."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest

from medtune.store import Store
from medtune.store.migrations import MIGRATIONS, statements
from medtune.study.plateau import PlateauRule, find_plateau

# (curve, steps budget) of probe runs: flattening, still improving, over-fitting, noisy, and no
# eval split (no curve stored: study/training.py's eval_curve gives NaN at step 0 and the end)
CURVES = [
    ([(0, 2.0), (1, 1.2), (2, 1.0), (3, 0.99), (4, 0.99), (5, 0.98)], 5),
    ([(0, 2.0), (1, 1.9), (2, 1.8), (3, 1.7), (4, 1.6)], 4),
    ([(0, 2.0), (1, 1.5), (2, 1.4), (3, 1.6), (4, 1.9)], 4),
    ([(0, 2.0), (2, 1.5), (4, 1.55), (6, 1.45), (8, 1.3), (10, 1.29)], 10),
    ([], 6),
]
RULES = [PlateauRule(), PlateauRule(smoothing=2, window=1, tolerance=0.05), PlateauRule(window=2, tolerance=0.0)]


def _db_before_0006(path) -> sqlite3.Connection:
    """A study.db as medtune wrote it before migration 0006."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied REAL)")
    names = [n for n, _ in MIGRATIONS]
    for name, sql in MIGRATIONS[: names.index("0006_stored_plateau_and_verdicts")]:
        for statement in statements(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO migrations VALUES (?, 0)", (name,))
    return conn


@pytest.mark.parametrize("rule", RULES, ids=["default", "smoothed", "strict"])
def test_migration_backfills_plateau_found_as_find_plateau(tmp_path, rule):
    """Older runs stored the plateau step the sweep found, not whether it was found; the
    migration derives it (found = the plateau is not the curve's last point), which must be
    what find_plateau says on the stored curve for every kind of curve."""
    conn = _db_before_0006(tmp_path / "study.db")
    expected = {}
    for i, (curve, steps) in enumerate(CURVES):
        conn.execute("INSERT INTO runs (id, key, task, method, config, status, started, role, plateau_step) "
                     "VALUES (?, ?, 'uti', 'sft', ?, 'done', 0, 'probe', ?)",
                     (i + 1, f"run{i}", json.dumps({"steps": steps}),
                      find_plateau(curve or [(0, math.nan), (steps, math.nan)], rule).step))
        conn.executemany("INSERT INTO curve VALUES (?, ?, 'eval_loss', ?)", [(i + 1, s, v) for s, v in curve])
        expected[f"run{i}"] = find_plateau(curve or [(0, math.nan), (steps, math.nan)], rule).found
    conn.execute("INSERT INTO runs (key, task, method, config, status, started) "
                 "VALUES ('unfinished', 'uti', 'sft', '{}', 'running', 0)")
    conn.close()
    assert {True, False} <= set(expected.values())  # both kinds of curve are here
    store = Store(tmp_path / "study.db")
    got = {r["key"]: r["plateau_found"] for r in store.runs()}
    assert got == {**{k: int(v) for k, v in expected.items()}, "unfinished": None}
    store.close()


def test_set_choice_stores_the_flag(tmp_path):
    store = Store(tmp_path / "study.db")
    run = store.start_run("uti/sft/lr=0.001", "uti", "sft", {"steps": 4}, "cpu")
    store.set_choice(run, 4, run, 4, 1.5, plateau_found=False)
    assert store.run("uti/sft/lr=0.001")["plateau_found"] == 0
    store.set_choice(run, 2, run, 2, 1.2, plateau_found=True)
    assert store.run("uti/sft/lr=0.001")["plateau_found"] == 1
    store.close()


class _Result:
    def __init__(self, final, verdicts):
        self.final, self.verdicts = final, verdicts


def test_jury_verdicts_round_trip_and_a_new_jury_replaces_the_old(tmp_path):
    """Per output the aggregate and each judge's verdict (None: unparseable), read back in
    example id order with the judges in the jury's order; judging again replaces them."""
    store = Store(tmp_path / "study.db")
    assert store.jury("summary") is None and store.jury_verdicts("summary", "base") is None
    store.save_jury("summary", "summary_likert", ["b", "a"], "mean", {
        "base": _Result({"e2": 3.5, "e1": None}, {"b": {"e2": 4, "e1": None}, "a": {"e2": 3, "e1": None}}),
        "sft": _Result({"e1": 5.0}, {"b": {"e1": 5}, "a": {"e1": 5}}),
    })
    jury = store.jury("summary")
    assert (jury.rubric, jury.judges, jury.aggregate) == ("summary_likert", ["b", "a"], "mean")
    base = store.jury_verdicts("summary", "base")
    assert list(base.final.items()) == [("e1", None), ("e2", 3.5)]
    assert list(base.verdicts) == ["b", "a"] and base.verdicts["a"] == {"e1": None, "e2": 3}
    assert store.jury_verdicts("summary", "dpo") is None

    store.save_jury("summary", "summary_likert", ["a"], "median",
                    {"base": _Result({"e1": 2.0}, {"a": {"e1": 2}})})
    assert store.jury("summary").judges == ["a"] and store.jury_verdicts("summary", "sft") is None
    assert store.jury_verdicts("summary", "base").verdicts == {"a": {"e1": 2}}
    store.close()


def test_the_dtype_a_study_without_runs_computes_in_is_recorded(tmp_path):
    """The report reads it (report/results.py) instead of asking train/precision.py."""
    from medtune.config import parse_study
    from medtune.report.results import _dtype
    from medtune.study.guard import check_study_dir
    from medtune.train.precision import label

    study = parse_study({"name": "s", "model": "m", "tasks": [{"task": "uti", "data": {"synthetic": {"n": 30}}}],
                         "sft": {"learning_rates": [1e-3], "steps": 4}, "dpo": {"learning_rates": [1e-4], "steps": 2},
                         "training": {"dtype": "auto"}}, "test")
    store = Store(tmp_path / "study.db")
    assert _dtype(store) is None  # a directory no study started in (an older medtune's, say)
    check_study_dir(store, study, {"uti": "a" * 64}, tmp_path)
    assert store.meta("dtype") == label("auto") == _dtype(store)
    run = store.start_run("uti/sft/lr=0.001", "uti", "sft", {"steps": 4, "dtype": "bf16"}, "cpu")
    assert run and _dtype(store) == "bf16"  # recorded runs say what they computed in
    store.close()
