"""Rejected-answer strategies that need no model, and the merge of generated answers."""

import random

import pytest

from medtune.data.records import Example
from medtune.errors import UserError
from medtune.tasks import get_task
from medtune.tasks.rejected import fill_generated, fill_rejected, wrong_option


def test_wrong_label_is_another_label():
    task = get_task("triage")
    out = fill_rejected(task.generate(20, 0), task, "wrong_label", seed=1)
    for ex in out:
        assert task.parse(ex.rejected) is not None and task.parse(ex.rejected) != ex.label


def test_wrong_option_from_medqa_options_and_from_wrong_answers():
    medqa = Example(id="m", prompt="q?", chosen="A text",
                    meta={"options": {"A": "A text", "B": "B text", "C": "C text"}, "answer_idx": "A"})
    picks = {wrong_option(medqa, None, random.Random(i)) for i in range(30)}
    assert picks == {"B text", "C text"}
    task = get_task("reasoning")
    out = fill_rejected(task.generate(30, 0), task, "wrong_option", seed=0)
    assert all(ex.rejected in ex.meta["wrong_answers"] for ex in out)
    assert [e.rejected for e in out] == [e.rejected for e in fill_rejected(task.generate(30, 0), task, "wrong_option", 0)]


def test_wrong_option_without_meta_names_the_example_and_the_fix():
    with pytest.raises(UserError, match="example u7: wrong_option needs meta.options"):
        fill_rejected([Example(id="u7", prompt="p", chosen="c")], None, "wrong_option")


def test_generated_strategies_are_not_offline():
    with pytest.raises(ValueError, match="not an offline one"):
        fill_rejected([], get_task("uti"), "on_policy")


def test_fill_generated_uses_wrong_answers_and_falls_back_otherwise():
    task = get_task("reasoning")
    exs = task.generate(4, 0)
    exs[3] = exs[3].model_copy(update={"rejected": "given"})
    user = Example(id="user", prompt="p?", chosen="Kawasaki disease")
    texts = {exs[0].id: "I think it is something else", exs[1].id: exs[1].chosen, exs[2].id: "  ",
             user.id: "Kawasaki disease"}
    out, status = fill_generated([*exs, user], task, texts, seed=0)
    assert status == {exs[0].id: "generated", exs[1].id: "fallback", exs[2].id: "fallback",
                      exs[3].id: "kept", "user": "dropped"}
    by_id = {e.id: e for e in out}
    assert by_id[exs[0].id].rejected == "I think it is something else"
    assert by_id[exs[1].id].rejected in exs[1].meta["wrong_answers"]
    assert by_id[exs[3].id].rejected == "given" and "user" not in by_id
