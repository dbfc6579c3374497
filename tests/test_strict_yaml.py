"""Study files read strictly: repeated keys, wrong encodings, lists, bad --set values (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from medtune.config import load_study
from medtune.errors import SHOWN_PROBLEMS, UserError
from medtune.strict_yaml import load_yaml_text

QUICK = Path(__file__).resolve().parents[1] / "examples" / "quick.yaml"


def test_duplicate_keys_named_with_both_lines():
    text = "a: 1\nb:\n  c: 2\n  c: 3\na: 4\n"
    with pytest.raises(UserError) as err:
        load_yaml_text(text, "s.yaml")
    assert err.value.problems == [
        "s.yaml:4: key 'c' is given twice (first on line 3); keep one (the second would silently replace the first)",
        "s.yaml:5: key 'a' is given twice (first on line 1); keep one (the second would silently replace the first)",
    ]


def test_merge_keys_and_distinct_keys_still_load():
    assert load_yaml_text("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", "s") == {"base": {"x": 1},
                                                                                 "other": {"x": 1, "y": 2}}


def test_study_file_repeating_a_section(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(QUICK.read_text() + "sft: {learning_rates: [1e-5], steps: 3}\n")
    with pytest.raises(UserError, match="duplicated key") as err:
        load_study(f)
    assert "key 'sft' is given twice" in str(err.value)


@pytest.mark.parametrize("content, expected", [
    (b"name: \xe9tude\n", r"s.yaml:1: not valid UTF-8 \(byte 0xe9\)"),
    (b"- name: x\n", r"holds a YAML list, but a study file is a mapping"),
    (b"\xef\xbb\xbfname: x\n", r"model: Field required"),  # a BOM is fine; then the keys are checked
])
def test_study_file_encoding_and_shape(tmp_path, content, expected):
    f = tmp_path / "s.yaml"
    f.write_bytes(content)
    with pytest.raises(UserError, match=expected):
        load_study(f)


def test_study_file_that_is_a_folder(tmp_path):
    with pytest.raises(UserError, match="is a folder; give the study file inside it"):
        load_study(tmp_path)


@pytest.mark.parametrize("override, expected", [
    ("sft.steps=[1", r"override 'sft.steps=\[1': the value is not valid YAML"),
    ("sft.learning_rates.x=1", r"that is a list of 1 item\(s\); name an index \(0 to 0\)"),
    ("sft.steps.x=1", r"steps is not a section"),
])
def test_bad_overrides(override, expected):
    with pytest.raises(UserError, match=expected):
        load_study(QUICK, [override])


def test_override_sets_a_list_item():
    study = load_study(QUICK, ["sft.learning_rates.0=0.25"])
    assert study.sft.learning_rates[0] == 0.25


@pytest.mark.parametrize("override, key", [("sft.learning_rates=[0]", "sft.learning_rates.0"),
                                           ("dpo.learning_rates=[1e-5, -1]", "dpo.learning_rates.1"),
                                           ("dpo.betas=[-0.1]", "dpo.betas.0")])
def test_learning_rates_and_betas_must_be_positive(override, key):
    with pytest.raises(UserError) as err:
        load_study(QUICK, [override])
    assert any(p.startswith(f"{key}: Input should be greater than 0") for p in err.value.problems)


def test_unknown_task_named_by_its_key():
    with pytest.raises(UserError) as err:
        load_study(QUICK, ["tasks.1.task=utii"])
    assert err.value.problems[0].startswith("tasks.1.task: unknown task 'utii'; known tasks: ")


def test_long_problem_lists_are_capped():
    err = UserError("f: 300 problems", [f"f:{i}: bad" for i in range(300)])
    lines = str(err).splitlines()
    assert len(lines) == 1 + SHOWN_PROBLEMS + 1 and lines[-1].startswith(f"  ... and {300 - SHOWN_PROBLEMS} more")
    assert len(err.problems) == 300


def test_a_task_listed_twice_named_by_key_without_top_level():
    with pytest.raises(UserError) as err:
        load_study(QUICK, ["tasks.1.task=uti"])
    assert err.value.problems == ["tasks.1.task: the task is listed twice; list each task once"]
