"""Grading data in study.db: graders, sessions, blinded items, assignments, grades, verdicts.

Each item (one test example x one variant's output x one rubric) goes to two graders; when
their verdicts differ, an adjudicator's verdict is final. Everything a grader may see is
selected here by grader id, so the web layer cannot leak another grader's verdicts.

Blinding: items are inserted in a random order (so internal ids do not come in variant
blocks), and each queue is ordered by HMAC-SHA256 of a per-study secret salt (in ``meta``),
the grader and the item: knowing the code, the ids and one's position reveals no variant.

Grades are append-only (triggers of migration 0004 refuse UPDATE and DELETE): a grader's
second grade for an item is refused; a correction is an adjudicator's ruling. The final grade
of an item is its ruling if it has one, else the two graders' verdict when they agree.
Several adjudicators: the first ruling on an item stands, a later one is refused
(``AlreadyRuled``), so a ruling never changes silently.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from medtune.errors import UserError
from medtune.files import atomic_path
from medtune.judges.rubrics import Verdict, get_rubric
from medtune.stats.agreement import Agreement, agreement
from medtune.store import Store
from medtune.variants import VARIANTS

GRADERS_PER_ITEM = 2
SESSION_SECONDS = 12 * 3600  # a working day: the link signs in again after that


class AlreadyGraded(Exception):
    """The grader graded this item already; grades are never changed."""


class AlreadyRuled(Exception):
    """The item has an adjudicator's ruling already; the first ruling stands."""


@dataclass(frozen=True)
class Grader:
    id: int
    name: str
    role: str  # grader | adjudicator


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_grader(store: Store, name: str, role: str = "grader") -> str:
    """Create a grader and return their secret token (only its sha256 is stored)."""
    if role not in ("grader", "adjudicator"):
        raise UserError(f"--role must be grader or adjudicator, got {role!r}")
    token = secrets.token_urlsafe(32)
    try:
        with store.transaction() as c:
            c.execute("INSERT INTO graders (name, role, token_hash, created) VALUES (?, ?, ?, ?)",
                      (name, role, hash_token(token), time.time()))
    except Exception as err:  # sqlite3.IntegrityError: the name is taken
        if "UNIQUE" in str(err):
            raise UserError(f"a grader named {name!r} exists already; choose another name") from None
        raise
    assign(store)
    return token


def grader_by_token(store: Store, token: str) -> Grader | None:
    row = store.conn.execute("SELECT id, name, role FROM graders WHERE token_hash=?",
                             (hash_token(token),)).fetchone()
    return None if row is None else Grader(row[0], row[1], row[2])


def start_session(store: Store, grader: Grader) -> str:
    """A new random session id for the cookie (only its sha256 is stored), valid for
    SESSION_SECONDS; the link's token itself never goes into a cookie."""
    session_id = secrets.token_urlsafe(32)
    now = time.time()
    with store.transaction() as c:
        c.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, NULL)",
                  (hash_token(session_id), grader.id, now, now + SESSION_SECONDS))
    return session_id


def grader_by_session(store: Store, session_id: str) -> Grader | None:
    row = store.conn.execute(
        "SELECT g.id, g.name, g.role FROM sessions s JOIN graders g ON g.id=s.grader_id "
        "WHERE s.id_hash=? AND s.ended IS NULL AND s.expires > ?",
        (hash_token(session_id), time.time())).fetchone()
    return None if row is None else Grader(row[0], row[1], row[2])


def end_session(store: Store, session_id: str) -> None:
    with store.transaction() as c:
        c.execute("UPDATE sessions SET ended=? WHERE id_hash=? AND ended IS NULL",
                  (time.time(), hash_token(session_id)))


def revoke(store: Store, name: str, new_link: bool = False) -> str | None:
    """End every session of grader ``name`` and make their link invalid; with ``new_link``,
    return a fresh token (the grader keeps their grades and queue)."""
    token = secrets.token_urlsafe(32)
    with store.transaction() as c:
        row = c.execute("SELECT id FROM graders WHERE name=?", (name,)).fetchone()
        if row is None:
            raise UserError(f"no grader named {name!r} in this study; "
                            "`medtune grade export` lists the graders who graded")
        c.execute("UPDATE sessions SET ended=? WHERE grader_id=? AND ended IS NULL", (time.time(), row[0]))
        c.execute("UPDATE graders SET token_hash=? WHERE id=?", (hash_token(token), row[0]))
    return token if new_link else None


def create_items(store: Store, task: str, rubric: str, variants: tuple[str, ...] = VARIANTS,
                 split: str = "test") -> int:
    """One item per (example, variant) test prediction; returns how many are new."""
    get_rubric(rubric)
    rows = [(task, v, p["example_id"]) for v in variants for p in store.predictions(task, v, split)]
    if not rows:
        raise UserError(f"no {split} predictions for task {task!r} (variants {', '.join(variants)}) "
                        "in study.db; run the study first")
    secrets.SystemRandom().shuffle(rows)  # ids must not come in variant blocks (blinding)
    before = store.conn.execute("SELECT COUNT(*) FROM grade_items").fetchone()[0]
    with store.transaction() as c:
        c.executemany("INSERT OR IGNORE INTO grade_items (public_id, task, variant, example_id, rubric) "
                      "VALUES (?, ?, ?, ?, ?)", [(secrets.token_hex(8), t, v, e, rubric) for t, v, e in rows])
    assign(store)
    return store.conn.execute("SELECT COUNT(*) FROM grade_items").fetchone()[0] - before


def assign(store: Store) -> None:
    """Give every item with fewer than two graders to the least-loaded graders not on it yet,
    then even out the load: a grader added after the items (the README's order) takes
    ungraded assignments from the most loaded graders until loads differ by at most one.
    A grade, once given, keeps its assignment."""
    c = store.conn
    graders = [r[0] for r in c.execute("SELECT id FROM graders WHERE role='grader' ORDER BY id")]
    load = {g: 0 for g in graders}
    on_item: dict[int, set[int]] = {}
    for item_id, grader_id in c.execute("SELECT item_id, grader_id FROM assignments"):
        on_item.setdefault(item_id, set()).add(grader_id)
        if grader_id in load:
            load[grader_id] += 1
    new, moved = [], []
    for (item_id,) in c.execute("SELECT id FROM grade_items ORDER BY id").fetchall():
        have = on_item.setdefault(item_id, set())
        for g in sorted((g for g in graders if g not in have), key=lambda g: (load[g], g)):
            if len(have) >= GRADERS_PER_ITEM:
                break
            have.add(g)
            load[g] += 1
            new.append((item_id, g))
    graded = {(r[0], r[1]) for r in c.execute("SELECT item_id, grader_id FROM grades")}
    while (move := _one_move(graders, load, on_item, graded)) is not None:
        item_id, donor, receiver = move
        on_item[item_id] = on_item[item_id] - {donor} | {receiver}
        load[donor] -= 1
        load[receiver] += 1
        moved.append(move)
    if new or moved:
        with store.transaction() as t:
            t.executemany("INSERT INTO assignments VALUES (?, ?)", new)
            t.executemany("UPDATE assignments SET grader_id=? WHERE item_id=? AND grader_id=?",
                          [(receiver, item_id, donor) for item_id, donor, receiver in moved])


def _one_move(graders: list[int], load: dict[int, int], on_item: dict[int, set[int]],
              graded: set[tuple[int, int]]) -> tuple[int, int, int] | None:
    """(item, from, to): an ungraded assignment of a grader with at least two more items
    than another who is not on that item; None when the load is even. Each move lowers the
    sum of squared loads, so moving until None ends."""
    for receiver in sorted(graders, key=lambda g: (load[g], g)):
        for donor in sorted(graders, key=lambda g: (-load[g], g)):
            if load[donor] - load[receiver] <= 1:
                break
            for item_id in sorted(on_item):
                have = on_item[item_id]
                if donor in have and receiver not in have and (item_id, donor) not in graded:
                    return item_id, donor, receiver
    return None


def _grades_by_item(store: Store) -> dict[int, dict[int, Verdict]]:
    out: dict[int, dict[int, Verdict]] = {}
    for item_id, grader_id, value in store.conn.execute("SELECT item_id, grader_id, value FROM grades"):
        out.setdefault(item_id, {})[grader_id] = json.loads(value)
    return out


def _roles(store: Store) -> dict[int, str]:
    return {r[0]: r[1] for r in store.conn.execute("SELECT id, role FROM graders")}


def disagreements(store: Store) -> list[int]:
    """Item ids whose two graders' verdicts differ."""
    roles = _roles(store)
    out = []
    for item_id, by in _grades_by_item(store).items():
        values = [v for g, v in by.items() if roles[g] == "grader"]
        if len(values) == GRADERS_PER_ITEM and values[0] != values[1]:
            out.append(item_id)
    return sorted(out)


def _ruled(store: Store) -> set[int]:
    return {r[0] for r in store.conn.execute(
        "SELECT item_id FROM grades JOIN graders ON graders.id=grades.grader_id WHERE role='adjudicator'")}


def queue(store: Store, grader: Grader) -> list[int]:
    """The grader's item ids (an adjudicator's: the disagreements) in their own order: by
    HMAC-SHA256(study salt, "grader id:item public id"), unpredictable without the salt."""
    if grader.role == "adjudicator":
        wanted = set(disagreements(store))
        rows = [r for r in store.conn.execute("SELECT id, public_id FROM grade_items") if r[0] in wanted]
    else:
        rows = store.conn.execute("SELECT i.id, i.public_id FROM assignments a JOIN grade_items i "
                                  "ON i.id=a.item_id WHERE a.grader_id=?", (grader.id,)).fetchall()
    salt = bytes.fromhex(store.meta("grading_salt"))
    key = {r[0]: hmac.new(salt, f"{grader.id}:{r[1]}".encode(), hashlib.sha256).digest() for r in rows}
    return sorted(key, key=key.__getitem__)


def progress(store: Store, grader: Grader) -> tuple[int, int, int | None]:
    """(done, total, next item id or None); an adjudicated item is done for every adjudicator."""
    ids = queue(store, grader)
    if grader.role == "adjudicator":
        done_ids = _ruled(store)
    else:
        done_ids = {r[0] for r in store.conn.execute("SELECT item_id FROM grades WHERE grader_id=?", (grader.id,))}
    todo = [i for i in ids if i not in done_ids]
    return len(ids) - len(todo), len(ids), (todo[0] if todo else None)


def item_for(store: Store, grader: Grader, public_id: str) -> dict[str, Any] | None:
    """The blinded item as the grader may see it (no variant, no other verdicts), or None when
    it is not in the grader's queue. An adjudicator may open any item: a grader asks for a
    correction by giving the adjudicator the item's code (its public id)."""
    row = store.conn.execute("SELECT * FROM grade_items WHERE public_id=?", (public_id,)).fetchone()
    if row is None or (grader.role != "adjudicator" and row["id"] not in queue(store, grader)):
        return None
    return blinded(store, row["id"])


def blinded(store: Store, item_id: int) -> dict[str, Any]:
    row = store.conn.execute("SELECT * FROM grade_items WHERE id=?", (item_id,)).fetchone()
    rubric = get_rubric(row["rubric"])
    pred = store.conn.execute(
        "SELECT gold, text FROM predictions WHERE task=? AND variant=? AND split='test' AND example_id=?",
        (row["task"], row["variant"], row["example_id"])).fetchone()
    prompt = store.conn.execute("SELECT prompt FROM prompts WHERE task=? AND example_id=?",
                                (row["task"], row["example_id"])).fetchone()
    gold = json.loads(pred["gold"]) if rubric.needs_gold else None
    return {"public_id": row["public_id"], "item_id": item_id, "rubric": rubric,
            "prompt": prompt[0] if prompt else "(prompt not stored)", "output": pred["text"],
            "gold": gold if gold is None or isinstance(gold, str) else json.dumps(gold)}


def record_grade(store: Store, grader: Grader, public_id: str, raw_value: str) -> None:
    item = item_for(store, grader, public_id)
    if item is None:
        raise PermissionError("item not assigned to this grader")
    value = parse_choice(item["rubric"].kind, raw_value)
    item_id = item["item_id"]
    with store.transaction() as c:  # plain INSERT: the primary key and triggers refuse a change
        if c.execute("SELECT 1 FROM grades WHERE item_id=? AND grader_id=?", (item_id, grader.id)).fetchone():
            raise AlreadyGraded(public_id)
        if grader.role == "adjudicator" and item_id in _ruled(store):
            raise AlreadyRuled(public_id)
        c.execute("INSERT INTO grades VALUES (?, ?, ?, ?)", (item_id, grader.id, json.dumps(value), time.time()))


def parse_choice(kind: str, raw: str) -> Verdict:
    if kind == "likert" and raw in {"1", "2", "3", "4", "5"}:
        return int(raw)
    if kind == "binary" and raw in {"correct", "incorrect"}:
        return raw == "correct"
    raise ValueError(f"not a valid choice: {raw!r}")


def final_grades(store: Store) -> dict[int, Verdict]:
    """{item id: final verdict}: the first adjudicator's ruling (on a disagreement or a
    correction), else the two graders' verdict when they agree."""
    roles = _roles(store)
    out = {}
    for item_id, by in _grades_by_item(store).items():
        graders = [v for g, v in by.items() if roles[g] == "grader"]
        if len(graders) == GRADERS_PER_ITEM and graders[0] == graders[1]:
            out[item_id] = graders[0]
    # Studies from before migration 0004 may hold several rulings: the earliest stands.
    for item_id, value in store.conn.execute(
            "SELECT item_id, value FROM grades JOIN graders ON graders.id=grades.grader_id "
            "WHERE role='adjudicator' ORDER BY grades.created DESC, grades.rowid DESC"):
        out[item_id] = json.loads(value)
    return out


def outcomes(store: Store, task: str, rubric: str | None = None) -> dict[str, dict[str, float]]:
    """{variant: {example_id: value}} of final physician grades, for paired statistics:
    Likert as a float 1-5, equivalence as 1.0 (correct) or 0.0. Items without a final grade
    are left out; pair variants on the example ids they share."""
    final = final_grades(store)
    out: dict[str, dict[str, float]] = {}
    sql = "SELECT id, variant, example_id, rubric FROM grade_items WHERE task=?"
    for item_id, variant, example_id, r in store.conn.execute(sql, (task,)):
        if item_id in final and (rubric is None or r == rubric):
            out.setdefault(variant, {})[example_id] = float(final[item_id])
    return out


def statistics(store: Store) -> dict[tuple[str, str], Agreement]:
    """{(task, rubric): agreement between the two graders of each doubly graded item};
    weighted (quadratic) kappa for Likert."""
    roles = _roles(store)
    pairs: dict[tuple[str, str], tuple[list, list]] = {}
    items = {r[0]: (r[1], r[2]) for r in store.conn.execute("SELECT id, task, rubric FROM grade_items")}
    for item_id, by in sorted(_grades_by_item(store).items()):
        values = [v for g, v in sorted(by.items()) if roles[g] == "grader"]
        if len(values) == GRADERS_PER_ITEM:
            a, b = pairs.setdefault(items[item_id], ([], []))
            a.append(values[0])
            b.append(values[1])
    out = {}
    for (task, rubric), (a, b) in sorted(pairs.items()):
        r = get_rubric(rubric)
        out[(task, rubric)] = agreement(a, b, r.choices, "quadratic" if r.kind == "likert" else "none")
    return out


def export_csv(store: Store, path: Path) -> int:
    """Every grade, unblinded (variant included), with when it was given (UTC, the audit
    trail) and the item's final verdict; returns rows written."""
    final = final_grades(store)
    rows = store.conn.execute(
        "SELECT i.id, i.task, i.rubric, i.example_id, i.variant, g.name, g.role, gr.value, gr.created "
        "FROM grades gr JOIN grade_items i ON i.id=gr.item_id JOIN graders g ON g.id=gr.grader_id "
        "ORDER BY i.task, i.example_id, i.variant, g.role DESC, gr.created, g.name").fetchall()
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:  # owner-only: patient data
        w = csv.writer(f)
        w.writerow(["task", "rubric", "example_id", "variant", "grader", "role", "value", "final", "graded_at"])
        for r in rows:
            fin = final.get(r[0])
            when = datetime.fromtimestamp(r[8], timezone.utc).isoformat(timespec="seconds")
            w.writerow([r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), "" if fin is None else fin, when])
    return len(rows)
