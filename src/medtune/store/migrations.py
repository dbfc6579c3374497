"""study.db's schema: append-only named migrations, applied in order by ``Store``.

A migration, once released, is never edited: a change of schema is a new entry at the end of
MIGRATIONS.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

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
    (
        "0006_stored_plateau_and_verdicts",
        """
        -- What the report reads instead of recomputing it (store/verdicts.py).
        -- plateau_found: 1 when a probe's eval loss stopped improving before its last step
        -- (study/plateau.py), 0 when it was still improving at the end. Older runs: their
        -- plateau_step was found on the curve stored with them, and a plateau is found exactly
        -- when it is not the curve's last point (no stored curve, no eval split: never found).
        ALTER TABLE runs ADD COLUMN plateau_found INTEGER;
        UPDATE runs SET plateau_found = (plateau_step < COALESCE(
            (SELECT MAX(step) FROM curve WHERE curve.run_id = runs.id AND curve.name = 'eval_loss'),
            plateau_step)) WHERE plateau_step IS NOT NULL;
        CREATE TABLE juries (
            task TEXT PRIMARY KEY,             -- the jury that judged the task's test outputs last
            rubric TEXT NOT NULL,
            judges TEXT NOT NULL,              -- JSON list of judge names, the study file's order
            aggregate TEXT NOT NULL            -- mean | median (Likert), majority (binary)
        );
        CREATE TABLE jury_verdicts (
            task TEXT NOT NULL REFERENCES juries(task),
            variant TEXT NOT NULL,
            example_id TEXT NOT NULL,
            outcome REAL,                      -- the jury's aggregate (binary: 1.0 or 0.0); NULL
                                               -- without a parseable vote, or on a tied vote
            verdicts TEXT NOT NULL,            -- JSON {judge: verdict, null when unparseable}
            PRIMARY KEY (task, variant, example_id)
        )
        """,
    ),
]


def statements(sql: str) -> Iterator[str]:
    """Split a migration into statements; a trigger's body holds ';' of its own."""
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""
    assert not pending.strip(" \n;"), f"incomplete SQL statement in a migration: {pending!r}"
