"""`medtune study status`: every stage and run of a study directory, where it stopped."""

import pytest
from typer.testing import CliRunner

from medtune.cli.study import app
from medtune.config import parse_study
from medtune.errors import UserError
from medtune.study.context import Progress
from medtune.runner import run_study


class Interrupted(Exception):
    pass


def test_status_of_an_interrupted_study(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    study = parse_study({
        "name": "st", "model": str(tiny_model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 30}}, "sizes": {"train": 8, "eval": 2, "dev": 2, "test": 4}}],
        "training": {"batch_size": 4, "pack_tokens": 256},
        "sft": {"learning_rates": [1e-3], "steps": 4, "eval_every": 2},
        "dpo": {"learning_rates": [1e-3], "betas": [0.1, 0.5], "steps": 2},
        "statistics": {"bootstrap": 100},
    }, "test")
    steps = {"stage": "", "n": 0}

    def stage(name, total):
        steps["stage"] = name

    def advance(n):
        if "SFT" in steps["stage"]:
            steps["n"] += n
        if steps["n"] == 3:  # after the base evaluation, SFT step 3
            raise Interrupted

    with pytest.raises(Interrupted):
        run_study(study, tmp_path, progress=Progress(stage=stage, advance=advance))
    result = CliRunner().invoke(app, ["status", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()

    def row(name):
        return next(line for line in lines if f" {name} " in line)

    assert "done" in row("uti/base:test")
    assert "running" in row("uti/sft:sweep")
    assert "pending" in row("uti/sft:test") and "pending" in row("uti/dpo/lr=0.001/beta=0.5:dev")
    sft = row("uti/sft/lr=0.001").split()
    assert "running" in sft and "2/4" in sft and "+state" in sft
    assert "pending" in row("uti/dpo/lr=0.001/beta=0.1")
    assert "interrupted" in result.output


def test_status_needs_a_study_directory(tmp_path):
    result = CliRunner().invoke(app, ["status", str(tmp_path)])
    assert isinstance(result.exception, UserError) and "study.db" in str(result.exception)
