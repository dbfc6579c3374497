"""The LLM jury's verdicts, stored when the judges run (judges/stage.py) and read by the report
(report/graded.py), which so never rebuilds a judge's prompt nor looks into the judge cache.

Per task the jury that judged it last (table ``juries``: rubric, judges, how votes are
aggregated), and per test output (``jury_verdicts``) the jury's aggregate and every judge's
verdict (None: the reply did not parse). Tables of migration 0006.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from medtune.store.connection import Connection


@dataclass(frozen=True)
class StoredJury:
    rubric: str
    judges: list[str]  # in the study file's order
    aggregate: str  # mean | median (Likert), majority (binary)


@dataclass(frozen=True)
class StoredVerdicts:
    """One variant's verdicts: final {example_id: the jury's aggregate, None without a
    parseable vote or on a tie}; verdicts {judge: {example_id: verdict or None}}."""

    final: dict[str, float | None]
    verdicts: dict[str, dict[str, Any]]


class VerdictQueries(Connection):
    def save_jury(self, task: str, rubric: str, judges: list[str], aggregate: str,
                  per_variant: Mapping[str, Any]) -> None:
        """Replace the task's stored jury and verdicts (a changed jury judged it again).
        ``per_variant``: {variant: its results, with ``final`` and ``verdicts`` as in
        ``StoredVerdicts`` (judges/jury.py's ``JuryResult``)}."""
        rows = [(task, variant, e, None if x is None else float(x),
                 json.dumps({j: r.verdicts[j][e] for j in judges if e in r.verdicts[j]}))
                for variant, r in per_variant.items() for e, x in r.final.items()]
        with self.transaction() as c:
            c.execute("DELETE FROM jury_verdicts WHERE task=?", (task,))
            c.execute("INSERT OR REPLACE INTO juries VALUES (?, ?, ?, ?)", (task, rubric, json.dumps(judges), aggregate))
            c.executemany("INSERT INTO jury_verdicts VALUES (?, ?, ?, ?, ?)", rows)

    def jury(self, task: str) -> StoredJury | None:
        """The jury that judged the task, None when no judge stage stored one."""
        row = self.conn.execute("SELECT rubric, judges, aggregate FROM juries WHERE task=?", (task,)).fetchone()
        return None if row is None else StoredJury(row[0], json.loads(row[1]), row[2])

    def jury_verdicts(self, task: str, variant: str) -> StoredVerdicts | None:
        """The variant's verdicts in example id order; None when the jury judged no output of it."""
        jury = self.jury(task)
        rows = list(self.conn.execute(
            "SELECT example_id, outcome, verdicts FROM jury_verdicts WHERE task=? AND variant=? ORDER BY example_id",
            (task, variant)))
        if jury is None or not rows:
            return None
        verdicts: dict[str, dict[str, Any]] = {j: {} for j in jury.judges}
        for example_id, _, votes in rows:
            for judge, verdict in json.loads(votes).items():
                verdicts[judge][example_id] = verdict
        return StoredVerdicts({r[0]: r[1] for r in rows}, verdicts)
