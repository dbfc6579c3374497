"""What the study is and how far it got: ``meta`` (the resolved study config, the data
hashes, the grading salt; JSON values) and ``stages`` (what ``medtune study status`` shows)."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from medtune.store.connection import Connection


class MetaQueries(Connection):
    # --- study identity ----------------------------------------------------------------------
    def meta(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, values: dict[str, Any]) -> None:
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                          [(k, json.dumps(v, sort_keys=True)) for k, v in values.items()])

    # --- stages ------------------------------------------------------------------------------
    def stage_started(self, name: str, task: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO stages VALUES (?, ?, 'running', ?, NULL)", (name, task, time.time()))

    def stage_done(self, name: str) -> None:
        with self.transaction() as c:
            c.execute("UPDATE stages SET state='done', finished=? WHERE name=?", (time.time(), name))

    def stages(self) -> list[sqlite3.Row]:
        return list(self.conn.execute("SELECT * FROM stages ORDER BY started, name"))
