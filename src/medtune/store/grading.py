"""Physician grading's tables: ``graders`` (secret links stored as sha256), ``sessions``,
blinded ``grade_items``, ``assignments`` (two graders per item), and ``grades`` (append-only:
migration 0004's triggers refuse UPDATE, DELETE and a second ruling). Grade values are JSON:
an int 1-5 or true/false. The rules (balancing, blinding, final verdicts) are grading/'s;
these are only the reads and writes."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from medtune.store.connection import Connection


class AlreadyGraded(Exception):
    """The grader graded this item already; grades are never changed."""


class AlreadyRuled(Exception):
    """The item has an adjudicator's ruling already; the first ruling stands."""


class GradingQueries(Connection):
    # --- graders and their links -------------------------------------------------------------
    def insert_grader(self, name: str, role: str, token_hash: str) -> bool:
        """False (and nothing stored) when the name is taken."""
        try:
            with self.transaction() as c:
                c.execute("INSERT INTO graders (name, role, token_hash, created) VALUES (?, ?, ?, ?)",
                          (name, role, token_hash, time.time()))
        except sqlite3.IntegrityError as err:
            if "UNIQUE" in str(err):
                return False
            raise
        return True

    def grader_by_token_hash(self, token_hash: str) -> sqlite3.Row | None:
        """(id, name, role) of the grader whose link has this token."""
        return self.conn.execute("SELECT id, name, role FROM graders WHERE token_hash=?", (token_hash,)).fetchone()

    def grader_ids(self, role: str) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT id FROM graders WHERE role=? ORDER BY id", (role,))]

    def grader_roles(self) -> dict[int, str]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, role FROM graders")}

    def replace_token(self, name: str, token_hash: str) -> bool:
        """End every open session of grader ``name`` and store their new link's token, so the
        old link stops working; False when there is no such grader."""
        with self.transaction() as c:
            row = c.execute("SELECT id FROM graders WHERE name=?", (name,)).fetchone()
            if row is None:
                return False
            c.execute("UPDATE sessions SET ended=? WHERE grader_id=? AND ended IS NULL", (time.time(), row[0]))
            c.execute("UPDATE graders SET token_hash=? WHERE id=?", (token_hash, row[0]))
        return True

    # --- sessions ------------------------------------------------------------------------------
    def add_session(self, id_hash: str, grader_id: int, created: float, expires: float) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, NULL)", (id_hash, grader_id, created, expires))

    def grader_by_session_hash(self, id_hash: str) -> sqlite3.Row | None:
        """(id, name, role) of the grader of this session while it is open and unexpired."""
        return self.conn.execute(
            "SELECT g.id, g.name, g.role FROM sessions s JOIN graders g ON g.id=s.grader_id "
            "WHERE s.id_hash=? AND s.ended IS NULL AND s.expires > ?", (id_hash, time.time())).fetchone()

    def end_session(self, id_hash: str) -> None:
        with self.transaction() as c:
            c.execute("UPDATE sessions SET ended=? WHERE id_hash=? AND ended IS NULL", (time.time(), id_hash))

    # --- items ---------------------------------------------------------------------------------
    def add_grade_items(self, items: list[tuple[str, str, str, str, str]]) -> int:
        """(public id, task, variant, example id, rubric) rows; an item already there (same task,
        variant, example and rubric) is kept as it is. Returns how many are new."""
        before = self.conn.execute("SELECT COUNT(*) FROM grade_items").fetchone()[0]
        with self.transaction() as c:
            c.executemany("INSERT OR IGNORE INTO grade_items (public_id, task, variant, example_id, rubric) "
                          "VALUES (?, ?, ?, ?, ?)", items)
        return self.conn.execute("SELECT COUNT(*) FROM grade_items").fetchone()[0] - before

    def grade_items(self, task: str | None = None) -> list[sqlite3.Row]:
        """Every item in id order, or the task's in (variant, example id, rubric) order."""
        if task is None:
            return list(self.conn.execute("SELECT * FROM grade_items ORDER BY id"))
        return list(self.conn.execute(
            "SELECT * FROM grade_items WHERE task=? ORDER BY variant, example_id, rubric", (task,)))

    def grade_item(self, item_id: int) -> sqlite3.Row:
        return self.conn.execute("SELECT * FROM grade_items WHERE id=?", (item_id,)).fetchone()

    def grade_item_by_code(self, public_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM grade_items WHERE public_id=?", (public_id,)).fetchone()

    def graded_rubrics(self, task: str) -> list[str]:
        """The rubrics the task's outputs were put up for physician grading on, sorted."""
        rows = self.conn.execute("SELECT DISTINCT rubric FROM grade_items WHERE task=? ORDER BY rubric", (task,))
        return [r[0] for r in rows]

    # --- assignments ---------------------------------------------------------------------------
    def assignments(self) -> list[tuple[int, int]]:
        """(item id, grader id) pairs."""
        return [(r[0], r[1]) for r in self.conn.execute("SELECT item_id, grader_id FROM assignments")]

    def assigned_items(self, grader_id: int) -> list[sqlite3.Row]:
        """(id, public_id) of the items assigned to the grader."""
        return self.conn.execute("SELECT i.id, i.public_id FROM assignments a JOIN grade_items i "
                                 "ON i.id=a.item_id WHERE a.grader_id=?", (grader_id,)).fetchall()

    def save_assignments(self, new: list[tuple[int, int]], moved: list[tuple[int, int, int]]) -> None:
        """``new``: (item, grader) pairs; ``moved``: (item, from grader, to grader); at once."""
        with self.transaction() as c:
            c.executemany("INSERT INTO assignments VALUES (?, ?)", new)
            c.executemany("UPDATE assignments SET grader_id=? WHERE item_id=? AND grader_id=?",
                          [(receiver, item_id, donor) for item_id, donor, receiver in moved])

    # --- grades --------------------------------------------------------------------------------
    def add_grade(self, item_id: int, grader_id: int, value: Any, ruling: bool) -> None:
        """A plain INSERT, which the primary key and the triggers would refuse anyway; checked
        first (in the same transaction) so the refusal says which rule: ``AlreadyGraded``, or
        ``AlreadyRuled`` for a ``ruling`` (an adjudicator's) on an item ruled on already."""
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM grades WHERE item_id=? AND grader_id=?", (item_id, grader_id)).fetchone():
                raise AlreadyGraded(item_id)
            if ruling and item_id in self.ruled_items():
                raise AlreadyRuled(item_id)
            c.execute("INSERT INTO grades VALUES (?, ?, ?, ?)", (item_id, grader_id, json.dumps(value), time.time()))

    def grades(self) -> list[tuple[int, int, Any]]:
        """(item id, grader id, value) of every grade."""
        rows = self.conn.execute("SELECT item_id, grader_id, value FROM grades")
        return [(item_id, grader_id, json.loads(value)) for item_id, grader_id, value in rows]

    def graded_items(self, grader_id: int) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT item_id FROM grades WHERE grader_id=?", (grader_id,))}

    def ruled_items(self) -> set[int]:
        """Items with an adjudicator's ruling."""
        return {r[0] for r in self.conn.execute(
            "SELECT item_id FROM grades JOIN graders ON graders.id=grades.grader_id WHERE role='adjudicator'")}

    def rulings_latest_first(self) -> list[tuple[int, Any]]:
        """(item id, value) of every ruling, the latest first: studies from before migration
        0004 may hold several rulings on an item, and a reader keeping the last one it sees
        keeps the earliest."""
        rows = self.conn.execute(
            "SELECT item_id, value FROM grades JOIN graders ON graders.id=grades.grader_id "
            "WHERE role='adjudicator' ORDER BY grades.created DESC, grades.rowid DESC")
        return [(item_id, json.loads(value)) for item_id, value in rows]

    def grades_for_export(self) -> list[dict[str, Any]]:
        """Every grade with its item (variant included) and grader, by task, example, variant,
        then rulings before grades and in the order given."""
        rows = self.conn.execute(
            "SELECT i.id, i.task, i.rubric, i.example_id, i.variant, g.name, g.role, gr.value, gr.created "
            "FROM grades gr JOIN grade_items i ON i.id=gr.item_id JOIN graders g ON g.id=gr.grader_id "
            "ORDER BY i.task, i.example_id, i.variant, g.role DESC, gr.created, g.name")
        keys = ("item_id", "task", "rubric", "example_id", "variant", "grader", "role", "value", "created")
        return [dict(zip(keys, (*r[:7], json.loads(r[7]), r[8]))) for r in map(tuple, rows)]
