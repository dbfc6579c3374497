"""What the grading produced: disagreements, each item's final verdict, the per-example
outcomes the study's paired statistics use, the graders' agreement, and the CSV export.

The final grade of an item is the first adjudicator's ruling if it has one, else the two
graders' verdict when they agree.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

from medtune.files import atomic_path
from medtune.grading.assignment import GRADERS_PER_ITEM
from medtune.judges.rubrics import Verdict, get_rubric
from medtune.stats.agreement import Agreement, agreement
from medtune.store import Store


def _grades_by_item(store: Store) -> dict[int, dict[int, Verdict]]:
    out: dict[int, dict[int, Verdict]] = {}
    for item_id, grader_id, value in store.grades():
        out.setdefault(item_id, {})[grader_id] = value
    return out


def disagreements(store: Store) -> list[int]:
    """Item ids whose two graders' verdicts differ."""
    roles = store.grader_roles()
    out = []
    for item_id, by in _grades_by_item(store).items():
        values = [v for g, v in by.items() if roles[g] == "grader"]
        if len(values) == GRADERS_PER_ITEM and values[0] != values[1]:
            out.append(item_id)
    return sorted(out)


def final_grades(store: Store) -> dict[int, Verdict]:
    """{item id: final verdict}: the first adjudicator's ruling (on a disagreement or a
    correction), else the two graders' verdict when they agree."""
    roles = store.grader_roles()
    out = {}
    for item_id, by in _grades_by_item(store).items():
        graders = [v for g, v in by.items() if roles[g] == "grader"]
        if len(graders) == GRADERS_PER_ITEM and graders[0] == graders[1]:
            out[item_id] = graders[0]
    for item_id, value in store.rulings_latest_first():  # the earliest ruling is written last
        out[item_id] = value
    return out


def outcomes(store: Store, task: str, rubric: str | None = None) -> dict[str, dict[str, float]]:
    """{variant: {example_id: value}} of final physician grades, for paired statistics:
    Likert as a float 1-5, equivalence as 1.0 (correct) or 0.0. Items without a final grade
    are left out; pair variants on the example ids they share."""
    final = final_grades(store)
    out: dict[str, dict[str, float]] = {}
    for item in store.grade_items(task):
        if item["id"] in final and (rubric is None or item["rubric"] == rubric):
            out.setdefault(item["variant"], {})[item["example_id"]] = float(final[item["id"]])
    return out


def statistics(store: Store) -> dict[tuple[str, str], Agreement]:
    """{(task, rubric): agreement between the two graders of each doubly graded item};
    weighted (quadratic) kappa for Likert."""
    roles = store.grader_roles()
    pairs: dict[tuple[str, str], tuple[list, list]] = {}
    items = {r["id"]: (r["task"], r["rubric"]) for r in store.grade_items()}
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
    rows = store.grades_for_export()
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:  # owner-only: patient data
        w = csv.writer(f)
        w.writerow(["task", "rubric", "example_id", "variant", "grader", "role", "value", "final", "graded_at"])
        for r in rows:
            fin = final.get(r["item_id"])
            when = datetime.fromtimestamp(r["created"], timezone.utc).isoformat(timespec="seconds")
            w.writerow([r["task"], r["rubric"], r["example_id"], r["variant"], r["grader"], r["role"],
                        r["value"], "" if fin is None else fin, when])
    return len(rows)
