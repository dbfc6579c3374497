"""The synthetic hyponatremia task: the label follows the ESE 2014 algorithm (Spasovski et al.)
on the labs and facts recorded in meta, for every generated example."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from medtune.tasks import get_task
from medtune.tasks.hyponatremia import HyponatremiaTask
from medtune.tasks.synthetic.hyponatremia import (CATEGORIES, EXTRARENAL, HYPERVOLEMIC, LOW_SOLUTE,
                                                  RENAL, SIADH, categorize)

N = 500


@pytest.fixture(scope="module")
def task() -> HyponatremiaTask:
    return get_task("hyponatremia")


@pytest.fixture(scope="module")
def examples(task):
    return task.generate(N, seed=0)


def test_registered(task):
    assert isinstance(task, HyponatremiaTask)
    (ep,) = task.endpoints
    assert (ep.name, ep.labels, ep.positive) == ("category", CATEGORIES, SIADH)


def test_same_seed_same_output(task):
    assert ([e.model_dump() for e in task.generate(50, 3)]
            == [e.model_dump() for e in task.generate(50, 3)])


def test_different_seeds_differ(task):
    a = {e.prompt for e in task.generate(60, 1)}
    b = {e.prompt for e in task.generate(60, 2)}
    assert len(a & b) < 3


def test_label_follows_the_algorithm_from_meta(examples):
    """ESE 2014 fig. 3: serum osm <275 hypotonic; urine osm <=100 -> low solute/polydipsia;
    urine Na <=30 -> extrarenal loss (hypovolemic) or hypervolemic state; urine Na >30 with
    diuretics/kidney disease -> renal loss; otherwise euvolemic SIADH."""
    for ex in examples:
        m = ex.meta
        assert m["serum_na"] < 135 and m["serum_osm"] < 275, ex.id
        if m["urine_osm"] <= 100:
            expected = LOW_SOLUTE
        elif m["urine_na"] <= 30:
            expected = HYPERVOLEMIC if m["volume"] == "hypervolemic" else EXTRARENAL
        else:
            expected = RENAL if m["diuretic_or_renal"] else SIADH
        assert ex.label == expected, (ex.id, m)
        if ex.label == SIADH:
            assert m["volume"] == "euvolemic"


def test_values_stay_out_of_grey_zones_and_appear_in_text(examples):
    for ex in examples:
        m = ex.meta
        assert not 100 < m["urine_osm"] < 121 and not 24 < m["urine_na"] < 41, (ex.id, m)
        for key, word in (("serum_na", "Na"), ("serum_osm", "serum osm"),
                          ("urine_osm", "urine osm"), ("urine_na", "urine Na")):
            assert re.search(rf"{word} {m[key]}\b", ex.prompt), (ex.id, key)


def test_siadh_cases_exclude_thyroid_and_adrenal_causes(examples):
    for ex in examples:
        if ex.label == SIADH:
            assert "normal" in ex.prompt and ("TSH" in ex.prompt or "Thyroid" in ex.prompt)


@pytest.mark.parametrize("seed,n", [(0, 500), (1, 503), (2, 7)])
def test_balance_and_every_category_appears(task, seed, n):
    counts = Counter(e.label for e in task.generate(n, seed))
    assert set(counts) == set(CATEGORIES)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_prompts_short_and_mostly_unique(examples):
    assert max(len(e.prompt.split()) for e in examples) <= 60
    assert len({e.prompt for e in examples}) >= 0.95 * N


def test_record_shape(task, examples):
    for i, ex in enumerate(examples):
        assert ex.id == f"hyponatremia-0-{i:05d}"
        assert ex.chosen == task.answer(ex.label) == ex.label
        assert task.validate_label(ex.label) is None


def test_answer_parse_round_trip(task):
    cands = task.candidates()
    assert [lab for lab, _ in cands] == list(CATEGORIES)
    for label, text in cands:
        assert task.parse(text) == label
        assert task.parse(f"Category: {text}.") == label


def test_parse_edges(task):
    assert task.parse("Extrarenal loss") == EXTRARENAL  # not also "renal loss"
    assert task.parse("siadh") == SIADH
    assert task.parse("SIADH or renal loss") is None
    assert task.parse("hypothyroidism") is None
    with pytest.raises(ValueError):
        task.answer("hypothyroidism")


def test_categorize_by_hand():
    labs = {"serum_na": 125, "serum_osm": 260, "urine_osm": 80, "urine_na": 50}
    assert categorize(labs, "hypervolemic", True) == LOW_SOLUTE  # urine osm decides first
    labs["urine_osm"] = 400
    assert categorize(labs, "euvolemic", False) == SIADH
    assert categorize(labs, "hypovolemic", True) == RENAL
    labs["urine_na"] = 30
    assert categorize(labs, "hypovolemic", False) == EXTRARENAL
    assert categorize(labs, "hypervolemic", False) == HYPERVOLEMIC


def test_histories_fit_the_category():
    """Tea-and-toast diets are an old person's; hypervolemic patients are off diuretics (a loop
    diuretic raises urine Na and would send the case down the renal-loss branch)."""
    from medtune.tasks import get_task

    cases = get_task("hyponatremia").generate(300, 11)
    tea = [e for e in cases if "tea-and-toast" in e.meta["history"]]
    assert tea and all(e.meta["age"] >= 70 for e in tea)
    hyper = [e for e in cases if e.label == "hypervolemic"]
    assert hyper and all("no diuretics" in e.meta["history"] for e in hyper)
