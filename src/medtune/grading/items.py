"""The items graders grade, blinded, and the grading of one item.

Each item is one test example x one variant's output x one rubric. Everything a grader may
see is selected here by grader id, so the web layer cannot leak another grader's verdicts.

Blinding: items are inserted in a random order (so internal ids do not come in variant
blocks), and each queue is ordered by HMAC-SHA256 of a per-study secret salt (in ``meta``),
the grader and the item: knowing the code, the ids and one's position reveals no variant.

Grades are append-only: a grader's second grade for an item is refused (``AlreadyGraded``); a
correction is an adjudicator's ruling, and the first ruling on an item stands (a later one is
refused, ``AlreadyRuled``), so a ruling never changes silently.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from medtune.errors import UserError
from medtune.grading.access import Grader
from medtune.grading.assignment import assign
from medtune.grading.results import disagreements
from medtune.judges.rubrics import Verdict, get_rubric
from medtune.store import Store
from medtune.store.grading import AlreadyGraded, AlreadyRuled
from medtune.variants import VARIANTS

__all__ = ["AlreadyGraded", "AlreadyRuled", "blinded", "create_items", "item_for", "parse_choice",
           "progress", "queue", "record_grade"]


def create_items(store: Store, task: str, rubric: str, variants: tuple[str, ...] = VARIANTS,
                 split: str = "test") -> int:
    """One item per (example, variant) test prediction; returns how many are new."""
    get_rubric(rubric)
    rows = [(task, v, p["example_id"]) for v in variants for p in store.predictions(task, v, split)]
    if not rows:
        raise UserError(f"no {split} predictions for task {task!r} (variants {', '.join(variants)}) "
                        "in study.db; run the study first")
    secrets.SystemRandom().shuffle(rows)  # ids must not come in variant blocks (blinding)
    new = store.add_grade_items([(secrets.token_hex(8), t, v, e, rubric) for t, v, e in rows])
    assign(store)
    return new


def queue(store: Store, grader: Grader) -> list[int]:
    """The grader's item ids (an adjudicator's: the disagreements) in their own order: by
    HMAC-SHA256(study salt, "grader id:item public id"), unpredictable without the salt."""
    if grader.role == "adjudicator":
        wanted = set(disagreements(store))
        rows = [r for r in store.grade_items() if r["id"] in wanted]
    else:
        rows = store.assigned_items(grader.id)
    salt = bytes.fromhex(store.meta("grading_salt"))
    key = {r["id"]: hmac.new(salt, f"{grader.id}:{r['public_id']}".encode(), hashlib.sha256).digest()
           for r in rows}
    return sorted(key, key=key.__getitem__)


def progress(store: Store, grader: Grader) -> tuple[int, int, int | None]:
    """(done, total, next item id or None); an adjudicated item is done for every adjudicator."""
    ids = queue(store, grader)
    done_ids = store.ruled_items() if grader.role == "adjudicator" else store.graded_items(grader.id)
    todo = [i for i in ids if i not in done_ids]
    return len(ids) - len(todo), len(ids), (todo[0] if todo else None)


def item_for(store: Store, grader: Grader, public_id: str) -> dict[str, Any] | None:
    """The blinded item as the grader may see it (no variant, no other verdicts), or None when
    it is not in the grader's queue. An adjudicator may open any item: a grader asks for a
    correction by giving the adjudicator the item's code (its public id)."""
    row = store.grade_item_by_code(public_id)
    if row is None or (grader.role != "adjudicator" and row["id"] not in queue(store, grader)):
        return None
    return blinded(store, row["id"])


def blinded(store: Store, item_id: int) -> dict[str, Any]:
    row = store.grade_item(item_id)
    rubric = get_rubric(row["rubric"])
    pred = store.prediction(row["task"], row["variant"], "test", row["example_id"])
    prompt = store.prompt(row["task"], row["example_id"])
    gold = pred["gold"] if rubric.needs_gold else None
    return {"public_id": row["public_id"], "item_id": item_id, "rubric": rubric,
            "prompt": prompt if prompt is not None else "(prompt not stored)", "output": pred["text"],
            "gold": gold if gold is None or isinstance(gold, str) else json.dumps(gold)}


def record_grade(store: Store, grader: Grader, public_id: str, raw_value: str) -> None:
    item = item_for(store, grader, public_id)
    if item is None:
        raise PermissionError("item not assigned to this grader")
    value = parse_choice(item["rubric"].kind, raw_value)
    store.add_grade(item["item_id"], grader.id, value, ruling=grader.role == "adjudicator")


def parse_choice(kind: str, raw: str) -> Verdict:
    if kind == "likert" and raw in {"1", "2", "3", "4", "5"}:
        return int(raw)
    if kind == "binary" and raw in {"correct", "incorrect"}:
        return raw == "correct"
    raise ValueError(f"not a valid choice: {raw!r}")
