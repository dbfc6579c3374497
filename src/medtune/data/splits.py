"""Assign train / eval / dev / test splits, and fingerprint the data for reproducibility.

Splits are deterministic by seed and never create leakage: examples whose prompts are the
same after normalisation (lowercase, collapsed whitespace) always land in one split.
"""

from __future__ import annotations

import hashlib
import json
import random

from medtune.data.records import SPLITS, Example, Split
from medtune.data.validate import normalize_text
from medtune.errors import UserError


def assign_splits(examples: list[Example], sizes: dict[Split, int], seed: int) -> list[Example]:
    """Examples with a split each, in input order.

    ``sizes`` are the wanted totals per split (a split left out means 0). Examples that
    already carry a split keep it and count toward its total; an unsplit example with the
    same normalised prompt as a split one joins that split. The rest are grouped by
    normalised prompt, the groups sorted (so the result does not depend on file order) and
    shuffled with ``random.Random(seed)``, then filled in order train, eval, dev, test; a
    group goes to the first split with room for all of it, larger groups before single
    examples. Unsplit examples beyond the requested sizes are left out of the result.
    """
    for name, size in sizes.items():
        if name not in SPLITS:
            raise UserError(f"split sizes: unknown split {name!r}; use {', '.join(SPLITS)}")
        if size < 0:
            raise UserError(f"split sizes: {name} is {size}; a size cannot be negative")

    key = [normalize_text(ex.prompt_text()) for ex in examples]
    pinned: dict[str, Split] = {}
    for k, ex in zip(key, examples):
        if ex.split is not None:
            pinned.setdefault(k, ex.split)

    assigned: list[Split | None] = [ex.split for ex in examples]
    groups: dict[str, list[int]] = {}
    for i, (k, ex) in enumerate(zip(key, examples)):
        if ex.split is not None:
            continue
        if k in pinned:
            assigned[i] = pinned[k]
        else:
            groups.setdefault(k, []).append(i)

    filled = {s: sum(1 for a in assigned if a == s) for s in SPLITS}
    room = {s: max(0, sizes.get(s, 0) - filled[s]) for s in SPLITS}
    needed, available = sum(room.values()), sum(len(g) for g in groups.values())
    if needed > available:
        already = sum(filled.values())
        raise UserError(
            f"splits need {needed} more examples to reach "
            f"{', '.join(f'{s} {sizes.get(s, 0)}' for s in SPLITS)} but there are only "
            f"{available} without a split ({already} already have one); lower the split "
            "sizes or add data"
        )

    order = sorted(groups)
    random.Random(seed).shuffle(order)
    # Larger groups first (stable: the shuffle still decides among equal sizes), so that
    # singletons can top every split up exactly; repeated prompts therefore favour train.
    order.sort(key=lambda k: -len(groups[k]))
    for k in order:
        members = groups[k]
        target = next((s for s in SPLITS if room[s] >= len(members)), None)
        if target is None:
            continue
        room[target] -= len(members)
        for i in members:
            assigned[i] = target

    short = {s: r for s, r in room.items() if r > 0}
    if short:
        raise UserError(
            "cannot fill the splits exactly because repeated prompts must stay together "
            f"(still short: {', '.join(f'{s} {r}' for s, r in short.items())}); "
            "adjust the split sizes or remove the repeated prompts"
        )
    return [ex if ex.split == s else ex.model_copy(update={"split": s})
            for ex, s in zip(examples, assigned) if s is not None]


def by_split(examples: list[Example]) -> dict[Split, list[Example]]:
    """Examples grouped by split, every split present (possibly empty), input order kept."""
    out: dict[Split, list[Example]] = {s: [] for s in SPLITS}
    for ex in examples:
        if ex.split is None:
            raise ValueError(f"example {ex.id!r} has no split; call assign_splits first")
        out[ex.split].append(ex)
    return out


def data_hash(examples: list[Example]) -> str:
    """sha256 (hex) of the examples as canonical JSON (sorted keys, no spaces, UTF-8).
    Order matters: the same records in another order are different training data."""
    payload = [ex.model_dump(mode="json") for ex in examples]
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
