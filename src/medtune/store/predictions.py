"""What the models answered: ``predictions`` per task, variant (base, sft, dpo, a served
baseline, or a run key for dev scoring) and split, labels as JSON; and the ``prompts`` as a
grader reads them (predictions do not hold their prompts)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from medtune.store.connection import Connection


def _prediction(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "example_id": r["example_id"],
        "gold": json.loads(r["gold"]),
        "predicted": None if r["predicted"] is None else json.loads(r["predicted"]),
        "text": r["text"],
        "scores": None if r["scores"] is None else json.loads(r["scores"]),
    }


class PredictionQueries(Connection):
    # --- predictions -------------------------------------------------------------------------
    def save_predictions(self, task: str, variant: str, split: str, rows: list[dict[str, Any]]) -> None:
        """Replace the variant's predictions on the split with ``rows``."""
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
        return [_prediction(r) for r in rows]

    def prediction(self, task: str, variant: str, split: str, example_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT * FROM predictions WHERE task=? AND variant=? AND split=? AND example_id=?",
            (task, variant, split, example_id),
        ).fetchone()
        return None if row is None else _prediction(row)

    # --- prompts -----------------------------------------------------------------------------
    def save_prompts(self, task: str, prompts: dict[str, str]) -> None:
        """{example_id: prompt text} for the grading app."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO prompts VALUES (?, ?, ?)",
                          [(task, eid, text) for eid, text in prompts.items()])

    def prompts(self, task: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT example_id, prompt FROM prompts WHERE task=?", (task,))
        return {r[0]: r[1] for r in rows}

    def prompt(self, task: str, example_id: str) -> str | None:
        row = self.conn.execute("SELECT prompt FROM prompts WHERE task=? AND example_id=?",
                                (task, example_id)).fetchone()
        return None if row is None else row[0]
