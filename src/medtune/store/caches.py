"""Answers bought from models outside the study, kept so a rerun never pays twice:
``judge_cache`` (an LLM judge's reply per rubric and input hash, with its parsed verdict) and
``served_cache`` (a served baseline model's reply per input hash)."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from medtune.store.connection import Connection


class CacheQueries(Connection):
    # --- LLM judges ----------------------------------------------------------------------------
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

    # --- served-model baselines ----------------------------------------------------------------
    def served_cached(self, baseline: str, input_hash: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT raw, structured FROM served_cache WHERE baseline=? AND input_hash=?",
                                 (baseline, input_hash)).fetchone()

    def cache_served(self, baseline: str, input_hash: str, raw: str, structured: bool) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO served_cache VALUES (?, ?, ?, ?, ?)",
                      (baseline, input_hash, raw, int(structured), time.time()))
