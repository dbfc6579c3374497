"""How study.db is opened, migrated and written: the one connection policy.

- File mode: owner-only (0600) before SQLite writes a byte, because study.db holds patient
  text. SQLite creates the -wal, -shm and -journal files with the database file's mode, so
  they follow.
- Journal: WAL, so readers (the grading app, ``medtune study status``, a report) neither block
  the study that writes nor are blocked by it.
- Busy timeout: a writer that finds the database locked (the grading app while a study runs)
  waits up to ``BUSY_TIMEOUT_SECONDS`` before failing (Python's default, stated here so it is
  a decision).
- Foreign keys are enforced.
- Transactions are explicit: the connection autocommits (``isolation_level=None``) and every
  write that must be atomic goes through ``transaction()``, which takes the write lock at
  ``BEGIN IMMEDIATE``, so two writers wait for each other instead of one failing when it tries
  to upgrade a read lock.
- One connection per ``Store`` object, used by one thread: a server opens one per request.
- The schema: the append-only migrations of migrations.py, applied in order when the file is
  opened, each in its own transaction with its row in ``migrations``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medtune.files import PRIVATE_FILE
from medtune.store.migrations import MIGRATIONS, statements

BUSY_TIMEOUT_SECONDS = 5.0


def connect(path: Path) -> sqlite3.Connection:
    """study.db opened by the policy above (without migrating it)."""
    if not Path(path).exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
        os.chmod(path, PRIVATE_FILE)  # the umask may have taken bits off at creation
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Connection:
    """An open, migrated study.db. Each query class of this package extends it, so they all
    share ``conn`` and ``transaction``; ``Store`` (``medtune.store``) combines them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path)
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
        """All of the block's statements, or none of them (rolled back on any exception)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
