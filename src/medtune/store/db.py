"""study.db: everything a study produced, in SQLite (WAL), and the one connection policy.

Reports and the grading app read this; they never re-run a model. The schema is built by the
append-only named migrations of migrations.py."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from medtune.files import PRIVATE_FILE
from medtune.store.migrations import MIGRATIONS, statements
from medtune.store.verdicts import JuryVerdicts


class Store(JuryVerdicts):
    def __init__(self, path: Path) -> None:
        self.path = path
        if not Path(path).exists():
            # Patient text: owner-only before SQLite writes a byte. SQLite creates the -wal,
            # -shm and -journal files with the database file's mode, so they follow.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
            os.chmod(path, PRIVATE_FILE)
        self.conn = sqlite3.connect(path, isolation_level=None)  # explicit transactions
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied REAL)")
        done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                for statement in statements(sql):
                    self.conn.execute(statement)
                self.conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # --- study identity ----------------------------------------------------------------------
    def meta(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, values: dict[str, Any]) -> None:
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                          [(k, json.dumps(v, sort_keys=True)) for k, v in values.items()])

    # --- stages (what `medtune study status` shows) ------------------------------------------
    def stage_started(self, name: str, task: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO stages VALUES (?, ?, 'running', ?, NULL)", (name, task, time.time()))

    def stage_done(self, name: str) -> None:
        with self.transaction() as c:
            c.execute("UPDATE stages SET state='done', finished=? WHERE name=?", (time.time(), name))

    def stages(self) -> list[sqlite3.Row]:
        return list(self.conn.execute("SELECT * FROM stages ORDER BY started, name"))

    # --- runs ------------------------------------------------------------------------------
    def start_run(self, key: str, task: str, method: str, config: dict[str, Any], device: str,
                  role: str = "probe") -> int:
        """The run's id: a new row, or the existing one of an interrupted run (resumed)."""
        with self.transaction() as c:
            row = c.execute("SELECT id FROM runs WHERE key=?", (key,)).fetchone()
            if row is not None:
                return int(row[0])
            cur = c.execute(
                "INSERT INTO runs (key, task, method, config, status, device, started, role) "
                "VALUES (?, ?, ?, ?, 'running', ?, ?, ?)",
                (key, task, method, json.dumps(config, sort_keys=True), device, time.time(), role),
            )
            return int(cur.lastrowid)

    def run(self, key: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM runs WHERE key=?", (key,)).fetchone()

    def finish_run(
        self, run_id: int, seconds: float, tokens: int, curve: dict[str, list[tuple[int, float]]]
    ) -> None:
        with self.transaction() as c:
            for name, points in curve.items():
                c.executemany(
                    "INSERT OR REPLACE INTO curve VALUES (?, ?, ?, ?)",
                    [(run_id, step, name, value) for step, value in points if not math.isnan(value)],
                )
            c.execute(
                "UPDATE runs SET status='done', seconds=?, tokens=?, finished=? WHERE id=?",
                (seconds, tokens, time.time(), run_id),
            )

    def set_choice(self, run_id: int, plateau_step: int, chosen_run: int, chosen_step: int,
                   chosen_eval_loss: float, plateau_found: bool) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET plateau_step=?, chosen_run=?, chosen_step=?, chosen_eval_loss=?, "
                      "plateau_found=? WHERE id=?",
                      (plateau_step, chosen_run, chosen_step, chosen_eval_loss, int(plateau_found), run_id))

    def set_dev_metric(self, run_id: int, value: float) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET dev_metric=? WHERE id=?", (value, run_id))

    def select_run(self, task: str, method: str, run_id: int) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET selected=0 WHERE task=? AND method=?", (task, method))
            c.execute("UPDATE runs SET selected=1 WHERE id=?", (run_id,))

    def runs(self, task: str | None = None) -> list[sqlite3.Row]:
        if task is None:
            return list(self.conn.execute("SELECT * FROM runs ORDER BY id"))
        return list(self.conn.execute("SELECT * FROM runs WHERE task=? ORDER BY id", (task,)))

    def curve(self, run_id: int, name: str) -> list[tuple[int, float]]:
        """Points in step order; a NaN loss (no eval split) is not stored (SQLite has no NaN)."""
        rows = self.conn.execute(
            "SELECT step, value FROM curve WHERE run_id=? AND name=? ORDER BY step", (run_id, name)
        )
        return [(r[0], r[1]) for r in rows]

    # --- checkpoints (directories written by medtune.train.checkpoint) -----------------------
    def add_checkpoint(self, run_id: int, step: int, path: str, eval_curve: list[tuple[int, float]]) -> None:
        """Record a checkpoint that is completely on disk, with the eval curve up to it."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, 1, ?)", (run_id, step, path, time.time()))
            c.executemany("INSERT OR REPLACE INTO curve VALUES (?, ?, 'eval_loss', ?)",
                          [(run_id, s, v) for s, v in eval_curve if not math.isnan(v)])

    def checkpoints(self, run_id: int) -> list[sqlite3.Row]:
        return list(self.conn.execute("SELECT * FROM checkpoints WHERE run_id=? ORDER BY step", (run_id,)))

    def checkpoint(self, run_id: int, step: int) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM checkpoints WHERE run_id=? AND step=?", (run_id, step)).fetchone()

    def set_not_resumable(self, run_id: int, step: int) -> None:
        with self.transaction() as c:
            c.execute("UPDATE checkpoints SET resumable=0 WHERE run_id=? AND step=?", (run_id, step))

    def forget_checkpoint(self, run_id: int, step: int) -> None:
        """Delete the row first, the files after: a crash in between leaves an unrecorded
        directory, which the next run removes, never a row pointing at nothing."""
        with self.transaction() as c:
            c.execute("DELETE FROM checkpoints WHERE run_id=? AND step=?", (run_id, step))

    # --- predictions and compute -------------------------------------------------------------
    def save_predictions(self, task: str, variant: str, split: str, rows: list[dict[str, Any]]) -> None:
        with self.transaction() as c:
            c.execute(
                "DELETE FROM predictions WHERE task=? AND variant=? AND split=?", (task, variant, split)
            )
            c.executemany(
                "INSERT INTO predictions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        task,
                        variant,
                        split,
                        r["example_id"],
                        json.dumps(r["gold"], sort_keys=True),
                        None if r["predicted"] is None else json.dumps(r["predicted"], sort_keys=True),
                        r["text"],
                        None if r.get("scores") is None else json.dumps(r["scores"]),
                    )
                    for r in rows
                ],
            )

    def predictions(self, task: str, variant: str, split: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT * FROM predictions WHERE task=? AND variant=? AND split=? ORDER BY example_id",
            (task, variant, split),
        )
        return [
            {
                "example_id": r["example_id"],
                "gold": json.loads(r["gold"]),
                "predicted": None if r["predicted"] is None else json.loads(r["predicted"]),
                "text": r["text"],
                "scores": None if r["scores"] is None else json.loads(r["scores"]),
            }
            for r in rows
        ]

    def add_compute(self, task: str, stage: str, run_key: str, seconds: float) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO compute VALUES (?, ?, ?, ?)", (task, stage, seconds, run_key))

    def compute_seconds(self) -> dict[str, dict[str, float]]:
        """{task: {stage: seconds}}"""
        out: dict[str, dict[str, float]] = {}
        for r in self.conn.execute("SELECT task, stage, SUM(seconds) FROM compute GROUP BY task, stage"):
            out.setdefault(r[0], {})[r[1]] = float(r[2])
        return out

    # --- judge cache and grading prompts (tables of 0002_judges_and_grading) -----------------
    def judge_cached(self, judge: str, rubric: str, input_hash: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT raw, verdict FROM judge_cache WHERE judge=? AND rubric=? AND input_hash=?",
            (judge, rubric, input_hash),
        ).fetchone()

    def cache_judgement(self, judge: str, rubric: str, input_hash: str, raw: str, verdict: Any) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO judge_cache VALUES (?, ?, ?, ?, ?, ?)",
                (judge, rubric, input_hash, raw, None if verdict is None else json.dumps(verdict), time.time()),
            )

    # --- served-model baselines (0005_served_baselines) --------------------------------------
    def served_cached(self, baseline: str, input_hash: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT raw, structured FROM served_cache WHERE baseline=? AND input_hash=?",
                                 (baseline, input_hash)).fetchone()

    def cache_served(self, baseline: str, input_hash: str, raw: str, structured: bool) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO served_cache VALUES (?, ?, ?, ?, ?)",
                      (baseline, input_hash, raw, int(structured), time.time()))

    # --- physician grading (grading/db.py) ------------------------------------------------
    def graded_rubrics(self, task: str) -> list[str]:
        """The rubrics the task's outputs were put up for physician grading on, sorted."""
        rows = self.conn.execute("SELECT DISTINCT rubric FROM grade_items WHERE task=? ORDER BY rubric", (task,))
        return [r[0] for r in rows]

    def save_prompts(self, task: str, prompts: dict[str, str]) -> None:
        """{example_id: prompt text} for the grading app (predictions do not hold prompts)."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO prompts VALUES (?, ?, ?)",
                          [(task, eid, text) for eid, text in prompts.items()])

    def prompts(self, task: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT example_id, prompt FROM prompts WHERE task=?", (task,))
        return {r[0]: r[1] for r in rows}
