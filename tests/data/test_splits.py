"""Splits are deterministic by seed, respect given splits, and never split a prompt."""

from __future__ import annotations

import pytest

from medtune.data.records import SPLITS, Example
from medtune.data.splits import assign_splits, by_split, data_hash
from medtune.errors import UserError

SIZES = {"train": 5, "eval": 2, "dev": 1, "test": 2}


def make(n: int, **kw) -> list[Example]:
    return [Example(id=f"e{i}", prompt=f"prompt {i}", chosen="yes", **kw) for i in range(n)]


def mapping(examples) -> dict[str, str]:
    return {e.id: e.split for e in examples}


def test_sizes_are_met_exactly_and_extras_left_out():
    out = assign_splits(make(12), SIZES, seed=0)
    assert {s: len(v) for s, v in by_split(out).items()} == SIZES
    assert len(out) == 10


def test_same_seed_same_splits_other_seed_differs():
    a = assign_splits(make(40), SIZES, seed=1)
    b = assign_splits(make(40), SIZES, seed=1)
    c = assign_splits(make(40), SIZES, seed=2)
    assert mapping(a) == mapping(b)
    assert mapping(a) != mapping(c)


def test_result_does_not_depend_on_input_order():
    data = make(20)
    forward = assign_splits(data, SIZES, seed=3)
    backward = assign_splits(list(reversed(data)), SIZES, seed=3)
    assert mapping(forward) == mapping(backward)


def test_output_keeps_input_order_and_fields():
    data = make(10)
    out = assign_splits(data, SIZES, seed=0)
    assert [e.id for e in out] == [e.id for e in data]
    assert all(o.model_dump(exclude={"split"}) == d.model_dump(exclude={"split"})
               for o, d in zip(out, data))
    assert all(d.split is None for d in data)  # inputs are not mutated


def test_existing_splits_are_kept_and_count_toward_sizes():
    given = [Example(id=f"t{i}", prompt=f"given {i}", chosen="c", split="test") for i in range(2)]
    out = assign_splits(given + make(8), SIZES, seed=0)
    assert all(mapping(out)[f"t{i}"] == "test" for i in range(2))
    assert {s: len(v) for s, v in by_split(out).items()} == SIZES


def test_identical_normalised_prompts_stay_in_one_split():
    data = make(10) + [
        Example(id="dupA", prompt="Fever  and Dysuria", chosen="c"),
        Example(id="dupB", prompt="fever and dysuria\n", chosen="c"),
        Example(id="dupC", prompt="FEVER AND DYSURIA", chosen="c"),
    ]
    sizes = {"train": 6, "eval": 3, "dev": 2, "test": 2}
    for seed in range(20):
        out = mapping(assign_splits(data, sizes, seed=seed))
        dup_splits = {out.get(i) for i in ("dupA", "dupB", "dupC")}
        assert len(dup_splits) == 1, (seed, dup_splits)


def test_unsplit_copy_of_a_split_prompt_joins_that_split():
    data = [Example(id="t", prompt="Same prompt", chosen="c", split="test"),
            Example(id="u", prompt="same   PROMPT", chosen="c")] + make(6)
    out = assign_splits(data, {"train": 4, "eval": 1, "dev": 1, "test": 1}, seed=0)
    assert mapping(out)["u"] == "test"


def test_too_few_examples_says_how_many_are_needed():
    with pytest.raises(UserError) as info:
        assign_splits(make(7), SIZES, seed=0)
    msg = str(info.value)
    assert "need 10 more examples" in msg
    assert "only 7 without a split" in msg
    assert "lower the split sizes or add data" in msg


def test_bad_sizes_are_user_errors():
    with pytest.raises(UserError, match="unknown split 'validation'"):
        assign_splits(make(3), {"validation": 1}, seed=0)
    with pytest.raises(UserError, match="cannot be negative"):
        assign_splits(make(3), {"train": -1}, seed=0)


def test_groups_that_cannot_fit_exactly_are_reported():
    data = [Example(id=f"d{i}", prompt="same", chosen="c") for i in range(3)]
    with pytest.raises(UserError, match="repeated prompts must stay together"):
        assign_splits(data, {"train": 2, "test": 1}, seed=0)


def test_by_split_has_every_split_in_order():
    out = by_split(assign_splits(make(4), {"train": 3, "test": 1}, seed=0))
    assert list(out) == list(SPLITS)
    assert (len(out["train"]), len(out["eval"]), len(out["dev"]), len(out["test"])) == (3, 0, 0, 1)


def test_by_split_rejects_unsplit_examples():
    with pytest.raises(ValueError, match="no split"):
        by_split(make(1))


def test_data_hash_is_stable_and_sensitive():
    a = make(3, label="yes")
    same = [Example.model_validate(e.model_dump()) for e in a]
    changed = list(a)
    changed[1] = changed[1].model_copy(update={"chosen": "no"})
    h = data_hash(a)
    assert len(h) == 64 and int(h, 16) >= 0
    assert data_hash(same) == h
    assert data_hash(changed) != h
    assert data_hash(list(reversed(a))) != h  # order is part of the data
