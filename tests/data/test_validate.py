"""Validation names every problem as FILE:LINE: field: what is wrong, all at once."""

from __future__ import annotations

import json
import re

import pytest

from medtune.data.validate import load_examples, normalize_text, validate_records
from medtune.errors import UserError
from medtune.tasks.base import Endpoint, Task

PATH = "d.jsonl"
SHAPE = re.compile(r"^d\.jsonl:\d+: [A-Za-z_][\w.\[\]]*: \S.*$")


class YesNo(Task):
    name = "fake_yesno"
    endpoints = (Endpoint("finding", ("yes", "no"), positive="yes"),)

    def answer(self, label):
        return str(label)


class TwoAxis(Task):
    name = "fake_two_axis"
    endpoints = (Endpoint("urgency", ("urgent", "routine"), positive="urgent"),
                 Endpoint("provider", ("md", "ma"), positive="md"))

    def answer(self, label):
        return json.dumps(label)


def rec(**overrides) -> dict:
    base = {"id": "a", "prompt": "Fever and dysuria?", "chosen": "yes", "label": "yes"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def check(*records, task: Task | None = None):
    rows = list(enumerate(records, start=1))
    examples, problems = validate_records(rows, task or YesNo(), PATH)
    for p in problems:
        assert SHAPE.match(p), p
    return examples, problems


def test_valid_records_parse_with_no_problems():
    examples, problems = check(
        rec(id="a", split="train"),
        rec(id="b", prompt=[{"role": "user", "content": "Hi"}], chosen="no", label="no",
            rejected="yes", meta={"source": "x"}),
    )
    assert problems == []
    assert [e.id for e in examples] == ["a", "b"]
    assert examples[0].split == "train"


@pytest.mark.parametrize("field", ["id", "prompt", "chosen"])
def test_missing_required_field(field):
    _, problems = check(rec(**{field: ...}))
    assert problems == [f"d.jsonl:1: {field}: missing; every record needs id, prompt, chosen"]


def test_null_required_field_counts_as_missing():
    _, problems = check(rec(chosen=None))
    assert problems == ["d.jsonl:1: chosen: missing; every record needs id, prompt, chosen"]


@pytest.mark.parametrize("field,value", [("id", ""), ("prompt", "   "), ("chosen", "\n"),
                                         ("prompt", [])])
def test_empty_required_field(field, value):
    _, problems = check(rec(**{field: value}))
    assert problems == [f"d.jsonl:1: {field}: empty; give it some text"]


def test_empty_rejected():
    _, problems = check(rec(rejected=" "))
    assert problems == ["d.jsonl:1: rejected: empty; leave the field out to have a strategy "
                        "make one"]


@pytest.mark.parametrize("raw,expected", [
    (rec(id=5), "d.jsonl:1: id: expected text, got 5"),
    (rec(chosen=["yes"]), 'd.jsonl:1: chosen: expected text, got ["yes"]'),
    (rec(rejected=False), "d.jsonl:1: rejected: expected text, got false"),
    (rec(meta=[1]), "d.jsonl:1: meta: expected an object {...}, got [1]"),
    (rec(prompt=7), 'd.jsonl:1: prompt: expected text or a list of chat messages '
                    '{"role": ..., "content": ...}, got 7'),
    (rec(prompt=[{"role": "bot", "content": "hi"}]),
     "d.jsonl:1: prompt[0].role: input should be 'system', 'user' or 'assistant', got \"bot\""),
    (rec(prompt=[{"role": "user"}]), "d.jsonl:1: prompt[0].content: missing"),
    (rec(label=3), 'd.jsonl:1: label: expected a label string or an object '
                   '{"axis": "label", ...}, got 3'),
])
def test_wrong_types_name_the_field(raw, expected):
    _, problems = check(raw)
    assert problems == [expected]


def test_wrong_type_inside_a_label_object():
    _, problems = check(rec(label={"urgency": 1, "provider": "md"}), task=TwoAxis())
    assert problems == ["d.jsonl:1: label.urgency: expected text, got 1"]


def test_unknown_fields_are_named():
    _, problems = check(rec(answer="yes", Label="no"))
    assert problems == [
        "d.jsonl:1: answer: unknown field; allowed fields are id, split, prompt, chosen, "
        "rejected, label, meta (put anything else under meta)",
        "d.jsonl:1: Label: unknown field; allowed fields are id, split, prompt, chosen, "
        "rejected, label, meta (put anything else under meta)",
    ]


def test_label_outside_task_labels():
    _, problems = check(rec(label="maybe"))
    assert problems == ["d.jsonl:1: label: finding='maybe' is not one of ['yes', 'no']"]


def test_label_missing_for_a_classification_task():
    _, problems = check(rec(label=...))
    assert problems == ["d.jsonl:1: label: missing (this task needs a label)"]


def test_multi_axis_label_problems():
    _, problems = check(
        rec(id="a", label={"urgency": "urgent"}),
        rec(id="b", label={"urgency": "soon", "provider": "md"}),
        rec(id="c", label="urgent"),
        rec(id="d", label={"urgency": "urgent", "provider": "ma"}),
        task=TwoAxis(),
    )
    assert problems == [
        "d.jsonl:1: label: keys ['urgency'] but this task needs ['provider', 'urgency']",
        "d.jsonl:2: label: urgency='soon' is not one of ['urgent', 'routine']",
        "d.jsonl:3: label: task fake_two_axis needs a label object with keys "
        "['urgency', 'provider']",
    ]


def test_chosen_equal_to_rejected_after_normalisation():
    _, problems = check(rec(chosen="Yes,  pyuria", rejected=" yes, PYURIA\n"))
    assert problems == ["d.jsonl:1: rejected: same as chosen (ignoring case and spacing); a "
                        "preference pair needs a worse answer here, or leave rejected out"]


def test_duplicate_ids_name_both_lines():
    _, problems = check(rec(id="a", prompt="p1"), rec(id="b", prompt="p2"),
                        rec(id="a", prompt="p3"))
    assert problems == ["d.jsonl:3: id: 'a' is also the id on line 1; "
                        "give every record a unique id"]


def test_same_prompt_in_two_splits_names_both_lines_and_splits():
    _, problems = check(
        rec(id="a", prompt="Fever  and dysuria?", split="train"),
        rec(id="b", prompt="fever and DYSURIA?", split="train"),  # same split: fine
        rec(id="c", prompt="FEVER and dysuria?\n", split="test"),
        rec(id="d", prompt=[{"role": "user", "content": "fever and dysuria?"}], split="dev"),
        rec(id="e", prompt="fever and dysuria?"),  # no split: nothing to leak yet
    )
    tail = ("a prompt in two splits leaks answers across them, so keep the copies in one "
            "split or drop one")
    assert problems == [
        f"d.jsonl:3: prompt: same prompt as line 1 (split train) but this record is in "
        f"split test; {tail}",
        f"d.jsonl:4: prompt: same prompt as line 1 (split train) but this record is in "
        f"split dev; {tail}",
    ]


@pytest.mark.parametrize("value,shown", [("training", '"training"'), ("TEST", '"TEST"'),
                                         (1, "1")])
def test_split_must_be_one_of_the_four(value, shown):
    _, problems = check(rec(split=value))
    assert problems == [f"d.jsonl:1: split: {shown} is not one of train, eval, dev, test"]


def test_every_problem_is_reported_at_once_in_line_order():
    examples, problems = check(
        rec(id="a", split="train"),                             # fine
        rec(id=..., chosen="", extra=1),                        # 3 problems
        rec(id="a", label="maybe", split="test"),               # duplicate id, label, leakage
        rec(id="d", prompt=5, split="validation", rejected="yes"),  # type, split, same as chosen
    )
    assert [p.split(":")[1] for p in problems] == ["2"] * 3 + ["3"] * 3 + ["4"] * 3
    fields = [p.split(": ")[1] for p in problems]
    assert fields == ["extra", "id", "chosen", "label", "id", "prompt", "split", "prompt",
                      "rejected"]
    assert [e.id for e in examples] == ["a", "a"]


def test_normalize_text():
    assert normalize_text("  Fever\tAND\n\ndysuria ") == "fever and dysuria"


def test_load_examples_raises_with_every_problem(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [rec(id="a"), rec(id="a"), rec(label="x", id="c")])
                 + "\n")
    with pytest.raises(UserError) as info:
        load_examples(f, YesNo())
    err = info.value
    assert err.message == f"{f}: 2 problems"
    assert err.problems == [
        f"{f}:2: id: 'a' is also the id on line 1; give every record a unique id",
        f"{f}:3: label: finding='x' is not one of ['yes', 'no']",
    ]


def test_load_examples_reads_csv(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("id,prompt,chosen,label,split\na,p,yes,yes,train\nb,q,no,no,\n")
    examples = load_examples(f, YesNo())
    assert [(e.id, e.split, e.label) for e in examples] == [("a", "train", "yes"),
                                                           ("b", None, "no")]


def test_load_examples_single_problem_is_singular(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps(rec(label="x")) + "\n")
    with pytest.raises(UserError) as info:
        load_examples(f, YesNo())
    assert info.value.message == f"{f}: 1 problem"


def test_load_examples_empty_file(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text("\n")
    with pytest.raises(UserError, match="no records"):
        load_examples(f, YesNo())


# --- more malformed inputs (issue 5) ----------------------------------------------------------
def test_label_differing_only_by_case_gets_a_hint():
    _, problems = check(rec(label="Yes "))
    assert problems == ["d.jsonl:1: label: finding='Yes ' is not one of ['yes', 'no']; "
                        "did you mean 'yes'?"]


def test_chosen_that_reads_as_another_label():
    _, problems = check(rec(chosen="No, this is not a UTI.", label="yes"))
    assert problems == ['d.jsonl:1: chosen: reads as label "no" but label is "yes"; '
                        "fix whichever is wrong"]


def test_chosen_that_parse_cannot_read_is_not_a_problem():
    assert check(rec(chosen="Pyuria with dysuria: a urinary tract infection."))[1] == []


@pytest.mark.parametrize("field,char,code", [("prompt", "\x00", "0000"),
                                             ("chosen", "\x0c", "000C"),
                                             ("rejected", "\x85", "0085")])
def test_control_characters_in_text(field, char, code):
    raw = rec(rejected="no") | {field: "ye" + char + "s"}
    _, problems = check(raw)
    assert problems[-1] == (f"d.jsonl:1: {field}: control character U+{code} at position 3; "
                            "remove it (often left by a PDF or database export)")


def test_chat_prompt_must_end_with_a_user_message():
    _, problems = check(rec(prompt=[{"role": "user", "content": "Dysuria?"},
                                    {"role": "assistant", "content": "yes"}]))
    assert problems == ["d.jsonl:1: prompt: the last message is from the assistant; end the "
                        "prompt with a user message (the answer goes in chosen)"]


def test_over_long_prompt_against_the_model_context():
    """Whitespace words stand in for tokens: 'a b c d' + 'yes' = 4 + 1 = 5 > 4; the second
    record counts its longer answer: 1 + 3 = 4, not over."""
    from medtune.data.validate import check_token_lengths

    rows = [(1, rec(prompt="a b c d")), (2, rec(prompt="a", chosen="yes", rejected="no no no"))]
    problems = check_token_lengths(rows, lambda s: len(s.split()), 4, PATH)
    assert problems == ["d.jsonl:1: prompt: 5 tokens with its answer, over the model's context "
                        "of 4; shorten the prompt or use a model with a longer context"]
    assert SHAPE.match(problems[0])


def test_leakage_across_splits_ignores_case_and_whitespace_only():
    _, problems = check(rec(id="a", prompt="Fever\tand dysuria?", split="train"),
                        rec(id="b", prompt="Fever and dysuria!", split="test"))
    assert problems == []  # different punctuation: a different prompt


def test_file_not_utf8_names_the_line(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_bytes(json.dumps(rec()).encode() + b'\n{"id": "b", "prompt": "caf\xe9"}\n')
    with pytest.raises(UserError) as info:
        load_examples(f, YesNo())
    assert info.value.problems == [f"{f}:2: not valid UTF-8 (byte 0xe9 at column 27); "
                                   "re-save the file as UTF-8"]


def test_byte_order_mark_is_accepted(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + json.dumps(rec()).encode() + b"\n")
    assert [e.id for e in load_examples(f, YesNo())] == ["a"]


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps(rec()) + "\n\n   \n" + json.dumps(rec(id="b", label="x")) + "\n")
    with pytest.raises(UserError) as info:
        load_examples(f, YesNo())
    assert info.value.problems == [f"{f}:4: label: finding='x' is not one of ['yes', 'no']"]


def test_csv_blank_rows_are_skipped(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("id,prompt,chosen,label\na,p,yes,yes\n,,,\n\nb,q,no,no\n")
    assert [e.id for e in load_examples(f, YesNo())] == ["a", "b"]
