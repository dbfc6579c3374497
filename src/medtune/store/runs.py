"""Training runs and what they cost: ``runs`` (one per SFT/DPO config, probe or retrain, with
its plateau, chosen checkpoint, dev metric and selection), their loss ``curve``, the
``checkpoints`` on disk (directories written by medtune.train.checkpoint), and ``compute``
seconds per task and stage."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from typing import Any

from medtune.store.connection import Connection


class RunQueries(Connection):
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

    # --- checkpoints -------------------------------------------------------------------------
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

    # --- compute -----------------------------------------------------------------------------
    def add_compute(self, task: str, stage: str, run_key: str, seconds: float) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO compute VALUES (?, ?, ?, ?)", (task, stage, seconds, run_key))

    def compute_seconds(self) -> dict[str, dict[str, float]]:
        """{task: {stage: seconds}}"""
        out: dict[str, dict[str, float]] = {}
        for r in self.conn.execute("SELECT task, stage, SUM(seconds) FROM compute GROUP BY task, stage"):
            out.setdefault(r[0], {})[r[1]] = float(r[2])
        return out
