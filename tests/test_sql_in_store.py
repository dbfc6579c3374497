"""study.db is reached through ``medtune.store`` only (docs/architecture.md): no module outside
src/medtune/store/ runs SQL, opens a connection, or holds SQL text; the query classes that make
up ``Store`` never define the same name; and every opened study.db follows the one connection
policy of store/connection.py."""

from __future__ import annotations

import ast
import re
import sqlite3
import stat
from pathlib import Path

from medtune.store import Store
from medtune.store.connection import BUSY_TIMEOUT_SECONDS, Connection
from medtune.store.migrations import MIGRATIONS

SRC = Path(__file__).resolve().parents[1] / "src" / "medtune"

# A connection's or cursor's way to run SQL, the connection itself, and the store's transaction
# (it hands out the connection).
SQL_ATTRIBUTES = {"execute", "executemany", "executescript", "cursor", "conn", "transaction"}
SQL_TEXT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN)\s")


def sql_outside_store(root: Path) -> list[str]:
    """'file:line: what' for each use of SQL in a module of ``root`` outside ``root/store``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            what = None
            if isinstance(node, ast.Attribute) and node.attr in SQL_ATTRIBUTES:
                what = f".{node.attr}"
            elif isinstance(node, ast.Attribute) and node.attr == "connect" and \
                    isinstance(node.value, ast.Name) and node.value.id == "sqlite3":
                what = "sqlite3.connect"
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.match(node.value):
                what = f"SQL text {node.value[:30]!r}"
            if what:
                found.append((str(rel), node.lineno, what))
    return [f"{file}:{line}: {what}" for file, line, what in sorted(found)]


def test_no_module_outside_store_runs_sql():
    found = sql_outside_store(SRC)
    assert not found, f"move these into a query of src/medtune/store/: {found}"


def test_the_walk_finds_sql(tmp_path):
    """The checker itself: each way of reaching SQL is reported outside store/, none inside."""
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "q.py").write_text("def f(store):\n    store.conn.execute('SELECT 1')\n")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "r.py").write_text(
        "import sqlite3\n"
        "def f(store):\n"
        "    with store.transaction() as c:\n"
        "        c.executemany(q, [])\n"
        "    sqlite3.connect('x')\n"
        "    return 'SELECT id FROM runs'\n")
    assert sql_outside_store(tmp_path) == [
        "report/r.py:3: .transaction", "report/r.py:4: .executemany", "report/r.py:5: sqlite3.connect",
        "report/r.py:6: SQL text 'SELECT id FROM runs'"]


def test_query_classes_never_define_the_same_name():
    """Store inherits them all: a name defined in two would silently hide one of them."""
    seen: dict[str, str] = {}
    for cls in Store.__mro__:
        if cls in (Store, Connection, object):
            continue
        for name in vars(cls):
            if not name.startswith("__"):
                assert name not in seen, f"{name} is defined in {seen[name]} and {cls.__name__}"
                seen[name] = cls.__name__
    assert len({cls for cls in Store.__mro__} - {Store, Connection, object}) >= 5


def test_every_store_follows_the_connection_policy(tmp_path):
    store = Store(tmp_path / "study.db")
    try:
        assert stat.S_IMODE((tmp_path / "study.db").stat().st_mode) == 0o600  # patient text
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_SECONDS * 1000
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.conn.in_transaction is False  # autocommit outside transaction()
        store.set_meta({"a": 1})
        try:
            with store.transaction():
                store.conn.execute("INSERT INTO meta VALUES ('b', '2')")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert (store.meta("a"), store.meta("b")) == (1, None)
    finally:
        store.close()
    again = sqlite3.connect(tmp_path / "study.db")  # migrated once, each migration recorded
    assert [r[0] for r in again.execute("SELECT name FROM migrations")] == [name for name, _ in MIGRATIONS]
    again.close()
