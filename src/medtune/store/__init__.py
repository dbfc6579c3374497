"""study.db behind one door: the schema and its migrations (migrations.py), the connection
policy and the queries (db.py). A study writes it; the report, the grading app and export
read it."""

from medtune.store.db import Store

__all__ = ["Store"]
