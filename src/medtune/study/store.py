"""study.db: everything a study produced, in SQLite (WAL), with append-only named migrations.

Reports and the grading app read this; they never re-run a model. A migration, once
released, is never edited: a change of schema is a new entry at the end of MIGRATIONS.
"""

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

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,          -- e.g. 'uti/sft/lr=0.0002'
            task TEXT NOT NULL,
            method TEXT NOT NULL,              -- base | sft | dpo
            config TEXT NOT NULL,              -- JSON of the run's settings
            status TEXT NOT NULL,              -- running | done | failed
            seconds REAL,                      -- wall seconds of training
            tokens INTEGER,                    -- real tokens through the model in training
            device TEXT,
            selected INTEGER NOT NULL DEFAULT 0,
            dev_metric REAL,
            started REAL NOT NULL,
            finished REAL
        );
        CREATE TABLE curve (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            step INTEGER NOT NULL,
            name TEXT NOT NULL,                -- train_loss | eval_loss
            value REAL NOT NULL,
            PRIMARY KEY (run_id, name, step)
        );
        CREATE TABLE predictions (
            task TEXT NOT NULL,
            variant TEXT NOT NULL,             -- base | sft | dpo, or a run key for dev scoring
            split TEXT NOT NULL,
            example_id TEXT NOT NULL,
            gold TEXT NOT NULL,                -- JSON label
            predicted TEXT,                    -- JSON label, NULL for a parse failure
            text TEXT NOT NULL,
            scores TEXT,                       -- JSON list, label log-likelihood mode
            PRIMARY KEY (task, variant, split, example_id)
        );
        CREATE TABLE compute (
            task TEXT NOT NULL,
            stage TEXT NOT NULL,               -- sft | dpo | eval
            seconds REAL NOT NULL,
            run_key TEXT NOT NULL,
            PRIMARY KEY (task, stage, run_key)
        );
        """,
    ),
    (
        "0002_judges_and_grading",
        """
        CREATE TABLE judge_cache (
            judge TEXT NOT NULL,               -- judge name from the study file
            rubric TEXT NOT NULL,
            input_hash TEXT NOT NULL,          -- sha256 of the rendered messages and call settings
            raw TEXT NOT NULL,                 -- the judge's reply, verbatim
            verdict TEXT,                      -- JSON value, NULL when unparseable
            created REAL NOT NULL,
            PRIMARY KEY (judge, rubric, input_hash)
        );
        CREATE TABLE prompts (
            task TEXT NOT NULL,
            example_id TEXT NOT NULL,
            prompt TEXT NOT NULL,              -- the prompt as a grader should read it
            PRIMARY KEY (task, example_id)
        );
        CREATE TABLE graders (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,                -- grader | adjudicator
            token_hash TEXT NOT NULL UNIQUE,   -- sha256 hex of the secret link token
            created REAL NOT NULL
        );
        CREATE TABLE grade_items (
            id INTEGER PRIMARY KEY,
            public_id TEXT NOT NULL UNIQUE,    -- random: shown to graders instead of id (blinding)
            task TEXT NOT NULL,
            variant TEXT NOT NULL,
            example_id TEXT NOT NULL,
            rubric TEXT NOT NULL,
            UNIQUE (task, variant, example_id, rubric)
        );
        CREATE TABLE assignments (
            item_id INTEGER NOT NULL REFERENCES grade_items(id),
            grader_id INTEGER NOT NULL REFERENCES graders(id),
            PRIMARY KEY (item_id, grader_id)
        );
        CREATE TABLE grades (
            item_id INTEGER NOT NULL REFERENCES grade_items(id),
            grader_id INTEGER NOT NULL REFERENCES graders(id),
            value TEXT NOT NULL,               -- JSON: an int 1-5, or true/false
            created REAL NOT NULL,
            PRIMARY KEY (item_id, grader_id)
        )
        """,
    ),
    (
        "0003_checkpoints_and_selection",
        """
        CREATE TABLE checkpoints (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            step INTEGER NOT NULL,
            path TEXT NOT NULL,                -- directory, relative to the study directory
            resumable INTEGER NOT NULL,        -- 1 while it keeps optimizer/RNG state (trainer.pt)
            created REAL NOT NULL,
            PRIMARY KEY (run_id, step)
        );
        CREATE TABLE stages (
            name TEXT PRIMARY KEY,             -- e.g. 'uti/base:test', 'uti/sft:sweep'
            task TEXT NOT NULL,
            state TEXT NOT NULL,               -- running | done
            started REAL NOT NULL,
            finished REAL
        );
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,              -- study_config | data_hashes
            value TEXT NOT NULL                -- JSON
        );
        -- role: probe | retrain. plateau_step: plateau of a probe's eval loss. chosen_run and
        -- chosen_step: the checkpoint that is the config's candidate (the probe's, or its
        -- retrain's), chosen_eval_loss: its eval loss. (No comment inside an ADD COLUMN: SQLite
        -- keeps the column text in the table's schema.)
        ALTER TABLE runs ADD COLUMN role TEXT NOT NULL DEFAULT 'probe';
        ALTER TABLE runs ADD COLUMN plateau_step INTEGER;
        ALTER TABLE runs ADD COLUMN chosen_run INTEGER;
        ALTER TABLE runs ADD COLUMN chosen_step INTEGER;
        ALTER TABLE runs ADD COLUMN chosen_eval_loss REAL
        """,
    ),
    (
        "0004_grading_security",
        """
        -- The secret that orders each grader's queue (grading.db.queue): random per study, so
        -- the order cannot be computed from the public code and the ids. A JSON string.
        INSERT OR IGNORE INTO meta VALUES ('grading_salt', '"' || lower(hex(randomblob(32))) || '"');
        CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,          -- sha256 hex of the random session id in the cookie
            grader_id INTEGER NOT NULL REFERENCES graders(id),
            created REAL NOT NULL,
            expires REAL NOT NULL,
            ended REAL                         -- signed out or revoked
        );
        -- Grades are append-only: a grade is never changed or removed; a correction is an
        -- adjudicator's ruling, and the first ruling on an item stands.
        CREATE TRIGGER grades_no_update BEFORE UPDATE ON grades
        BEGIN SELECT RAISE(ABORT, 'grades are append-only'); END;
        CREATE TRIGGER grades_no_delete BEFORE DELETE ON grades
        BEGIN SELECT RAISE(ABORT, 'grades are append-only'); END;
        -- INSERT OR REPLACE deletes the old row without firing the DELETE trigger: refuse it here.
        CREATE TRIGGER grades_no_replace BEFORE INSERT ON grades
        WHEN EXISTS (SELECT 1 FROM grades WHERE item_id = NEW.item_id AND grader_id = NEW.grader_id)
        BEGIN SELECT RAISE(ABORT, 'grades are append-only'); END;
        CREATE TRIGGER grades_one_ruling BEFORE INSERT ON grades
        WHEN (SELECT role FROM graders WHERE id = NEW.grader_id) = 'adjudicator' AND EXISTS (
            SELECT 1 FROM grades g JOIN graders r ON r.id = g.grader_id
            WHERE g.item_id = NEW.item_id AND r.role = 'adjudicator')
        BEGIN SELECT RAISE(ABORT, 'the item has a ruling already'); END
        """,
    ),
    (
        "0005_served_baselines",
        """
        CREATE TABLE served_cache (
            baseline TEXT NOT NULL,            -- baseline name from the study file (its variant)
            input_hash TEXT NOT NULL,          -- sha256 of the messages and call settings
            raw TEXT NOT NULL,                 -- the server's reply, verbatim
            structured INTEGER NOT NULL,       -- 1: asked under response_format, 0: plain text
            created REAL NOT NULL,
            PRIMARY KEY (baseline, input_hash)
        )
        """,
    ),
]


def _statements(sql: str) -> Iterator[str]:
    """Split a migration into statements; a trigger's body holds ';' of its own."""
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""
    assert not pending.strip(" \n;"), f"incomplete SQL statement in a migration: {pending!r}"


class Store:
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
                for statement in _statements(sql):
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
                   chosen_eval_loss: float) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET plateau_step=?, chosen_run=?, chosen_step=?, chosen_eval_loss=? WHERE id=?",
                      (plateau_step, chosen_run, chosen_step, chosen_eval_loss, run_id))

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

    def save_prompts(self, task: str, prompts: dict[str, str]) -> None:
        """{example_id: prompt text} for the grading app (predictions do not hold prompts)."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO prompts VALUES (?, ?, ?)",
                          [(task, eid, text) for eid, text in prompts.items()])

    def prompts(self, task: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT example_id, prompt FROM prompts WHERE task=?", (task,))
        return {r[0]: r[1] for r in rows}
