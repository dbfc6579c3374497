"""``medtune grade`` through Typer's runner: items, add-grader link, export, errors."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from medtune.cli import _register, app
from medtune.errors import UserError

_register()
runner = CliRunner()


def test_items_add_grader_and_export(study_dir, tmp_path):
    res = runner.invoke(app, ["grade", "items", str(study_dir), "--task", "medqa", "--rubric", "equivalence"])
    assert res.exit_code == 0, res.output
    assert "8 new equivalence items" in res.output  # 4 examples x base and sft (no dpo predictions)
    res = runner.invoke(app, ["grade", "add-grader", str(study_dir), "ann", "--role", "grader"])
    assert res.exit_code == 0, res.output
    assert re.search(r"http://127\.0\.0\.1:8765/login\?token=[\w-]{43}\b", res.output)
    out = tmp_path / "grades.csv"
    res = runner.invoke(app, ["grade", "export", str(study_dir), "--out", str(out)])
    assert res.exit_code == 0 and "wrote 0 grades" in res.output
    assert out.read_text().startswith("task,rubric,example_id,variant,grader,role,value,final")


def test_bad_inputs_are_user_errors(study_dir, tmp_path):
    res = runner.invoke(app, ["grade", "add-grader", str(tmp_path / "nowhere"), "ann"])
    assert isinstance(res.exception, UserError) and "no study.db" in str(res.exception)
    res = runner.invoke(app, ["grade", "add-grader", str(study_dir), "ann", "--role", "boss"])
    assert isinstance(res.exception, UserError)
    res = runner.invoke(app, ["grade", "items", str(study_dir), "--task", "medqa", "--rubric", "vibes"])
    assert isinstance(res.exception, UserError) and "summary_likert" in str(res.exception)
