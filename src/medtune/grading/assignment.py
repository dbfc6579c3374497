"""Which graders grade which item: two graders per item, the load kept even.

A grader added after the items (the README's order) takes ungraded assignments from the most
loaded graders until loads differ by at most one. A grade, once given, keeps its assignment.
"""

from __future__ import annotations

from medtune.store import Store

GRADERS_PER_ITEM = 2


def assign(store: Store) -> None:
    """Give every item with fewer than two graders to the least-loaded graders not on it yet,
    then even out the load."""
    graders = store.grader_ids("grader")
    load = {g: 0 for g in graders}
    on_item: dict[int, set[int]] = {}
    for item_id, grader_id in store.assignments():
        on_item.setdefault(item_id, set()).add(grader_id)
        if grader_id in load:
            load[grader_id] += 1
    new, moved = [], []
    for item in store.grade_items():
        have = on_item.setdefault(item["id"], set())
        for g in sorted((g for g in graders if g not in have), key=lambda g: (load[g], g)):
            if len(have) >= GRADERS_PER_ITEM:
                break
            have.add(g)
            load[g] += 1
            new.append((item["id"], g))
    graded = {(item_id, grader_id) for item_id, grader_id, _ in store.grades()}
    while (move := _one_move(graders, load, on_item, graded)) is not None:
        item_id, donor, receiver = move
        on_item[item_id] = on_item[item_id] - {donor} | {receiver}
        load[donor] -= 1
        load[receiver] += 1
        moved.append(move)
    if new or moved:
        store.save_assignments(new, moved)


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
