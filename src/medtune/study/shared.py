"""study.db seen from every process of a distributed study.

Every rank runs the study code (so every rank takes part in training and evaluation), but only
rank 0 opens study.db. Each store call runs on rank 0 and its result is broadcast: every rank
sees the same stored state at the same point of the code, so all take the same branches (skip
a finished run, resume at the same step) and reach the same collectives. A call that fails on
rank 0 raises on every rank. Rows come back as plain dicts (``row["status"]`` reads the same),
in one process too, so 1 and N processes run one code path.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from medtune.train import distributed


def _plain(value: Any) -> Any:
    if isinstance(value, sqlite3.Row):
        return {k: value[k] for k in value.keys()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class SharedStore:
    """A ``Store`` on rank 0 (``local``; None elsewhere), its methods callable on every rank.
    Code that runs on rank 0 alone (reports, judges) uses ``local`` directly. ``lock``: the
    study directory's lock rank 0 holds while the store is open (processes.open_store)."""

    def __init__(self, local: Any, lock: Any = None) -> None:
        self.local, self._lock = local, lock

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            return distributed.run_on_main(lambda: _plain(getattr(self.local, name)(*args, **kwargs)))

        return call

    def close(self) -> None:
        if self.local is not None:
            self.local.close()
        if self._lock is not None:
            self._lock.close()
