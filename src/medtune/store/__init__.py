"""study.db behind one door: its schema, its connection policy and every query on it. A study
writes it; the report, the grading app and export read it; nothing else runs SQL
(tests/test_sql_in_store.py checks).

- migrations.py: the schema, as append-only named migrations.
- connection.py: the one connection policy (file mode, WAL, busy timeout, transactions) and
  the migrating of an opened file.
- meta.py: the study's identity and its stages. runs.py: runs, loss curves, checkpoints,
  compute seconds. predictions.py: predictions and prompts. caches.py: the LLM judges' and the
  served baselines' replies. grading.py: physician grading's graders, sessions, items,
  assignments and grades. verdicts.py: the LLM jury's verdicts, stored when the judges run.

``Store`` combines the query classes by inheritance: each extends ``Connection``, so they share
one connection and one ``transaction()``. Inheritance rather than one object per table group
(``store.runs.start(...)``) because every caller keeps calling ``store.method(...)``, including
through the proxies that forward calls by method name (``study.shared.SharedStore`` runs each
call on rank 0 and broadcasts its result; it forwards one call, not a chain of attributes).
The price of one namespace, two classes defining the same name, is checked by a test.
"""

from medtune.store.caches import CacheQueries
from medtune.store.grading import GradingQueries
from medtune.store.meta import MetaQueries
from medtune.store.predictions import PredictionQueries
from medtune.store.runs import RunQueries
from medtune.store.verdicts import VerdictQueries


class Store(MetaQueries, RunQueries, PredictionQueries, CacheQueries, GradingQueries, VerdictQueries):
    """study.db, open and migrated (``Store(path)``); ``close()`` when done."""


__all__ = ["Store"]
