"""`medtune data validate` and `medtune data synth`, through Typer's runner on the data app.

The runner lets a UserError escape as result.exception; ``run`` converts it to exit code 2
and its text, as ``medtune.cli.main`` does. Tasks are fakes registered for the test only."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

import medtune.tasks as tasks_pkg
from medtune.cli.data import app
from medtune.data.records import Example
from medtune.errors import UserError
from medtune.tasks.base import Endpoint, Task


class FakeYesNo(Task):
    name = "fake_cli_yesno"
    endpoints = (Endpoint("finding", ("yes", "no"), positive="yes"),)

    def answer(self, label):
        return f"Answer: {label}"

    def generate(self, n, seed):
        return [Example(id=f"{seed}-{i}", prompt=f"case {seed}-{i}", chosen=self.answer(lab),
                        label=lab) for i, lab in zip(range(n), ["yes", "no"] * n)]


class FakeNoGenerator(Task):
    name = "fake_cli_nogen"
    endpoints = (Endpoint("finding", ("yes", "no"), positive="yes"),)


class FakeTwoAxis(Task):
    name = "fake_cli_two_axis"
    endpoints = (Endpoint("urgency", ("urgent", "routine"), positive="urgent"),
                 Endpoint("provider", ("md", "ma"), positive="md"))


@pytest.fixture(autouse=True)
def fake_tasks(monkeypatch):
    """Only the fake tasks exist: the registry is isolated from the built-ins."""
    monkeypatch.setattr(tasks_pkg, "_BUILTINS", ())
    monkeypatch.setattr(tasks_pkg, "_REGISTRY", {})
    for cls in (FakeYesNo, FakeNoGenerator, FakeTwoAxis):
        tasks_pkg.register_task(cls)


@pytest.fixture
def fake_rejected(monkeypatch):
    """A stand-in for medtune.tasks.rejected that records how it was called."""
    calls = []

    def fill_rejected(examples, task, strategy="wrong_label", seed=0):
        calls.append((len(examples), task.name, strategy, seed))
        other = {"yes": "Answer: no", "no": "Answer: yes"}
        return [e.model_copy(update={"rejected": other[e.label]}) for e in examples]

    module = types.ModuleType("medtune.tasks.rejected")
    module.fill_rejected = fill_rejected
    monkeypatch.setitem(sys.modules, "medtune.tasks.rejected", module)
    monkeypatch.setattr(tasks_pkg, "rejected", module, raising=False)
    return calls


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, UserError):
        return 2, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_validate_good_file_prints_summary(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "a", "prompt": "p1", "chosen": "yes", "label": "yes", "split": "train"},
        {"id": "b", "prompt": "p2", "chosen": "no", "label": "no", "split": "train"},
        {"id": "c", "prompt": "p3", "chosen": "yes", "label": "yes", "split": "test"},
        {"id": "d", "prompt": "p4", "chosen": "yes", "label": "yes"},
    ])
    code, out = run("validate", str(f), "--task", "fake_cli_yesno")
    assert code == 0, out
    assert out.strip() == (f"{f}: 4 examples ok; splits: train 2, test 1, unsplit 1; "
                           "labels: no 1, yes 3")


def test_validate_counts_multi_axis_labels_per_axis(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "a", "prompt": "p1", "chosen": "x", "label": {"urgency": "urgent", "provider": "md"}},
        {"id": "b", "prompt": "p2", "chosen": "x", "label": {"urgency": "routine", "provider": "md"}},
    ])
    code, out = run("validate", str(f), "--task", "fake_cli_two_axis")
    assert code == 0, out
    assert out.strip().endswith("labels: urgency routine 1, urgent 1; provider md 2")


def test_validate_bad_file_lists_every_problem_and_exits_2(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "a", "prompt": "p1", "chosen": "yes", "label": "yes", "split": "train"},
        {"id": "a", "prompt": "P1 ", "chosen": "yes", "label": "maybe", "split": "test"},
        {"prompt": "p3", "chosen": "yes", "label": "no", "split": "validation", "x": 1},
    ])
    code, err = run("validate", str(f), "--task", "fake_cli_yesno")
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == f"{f}: 6 problems"
    problems = [line.strip() for line in lines[1:]]
    assert [p.split(": ")[1] for p in problems] == ["label", "id", "prompt", "x", "id", "split"]
    assert all(p.startswith(f"{f}:2: ") for p in problems[:3])
    assert all(p.startswith(f"{f}:3: ") for p in problems[3:])
    assert problems[1] == f"{f}:2: id: 'a' is also the id on line 1; give every record a unique id"


def test_validate_unreadable_file_exits_2(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text('{"id": "a"\n')
    code, err = run("validate", str(f), "--task", "fake_cli_yesno")
    assert code == 2
    assert f"{f}:1: invalid JSON" in err


def test_validate_missing_file_exits_2(tmp_path):
    code, err = run("validate", str(tmp_path / "nope.jsonl"), "--task", "fake_cli_yesno")
    assert code == 2
    assert "no such file; check the path" in err


def test_validate_unknown_task_names_known_tasks(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "prompt": "p", "chosen": "c"}])
    code, err = run("validate", str(f), "--task", "nosuch")
    assert code == 2
    assert err == ("unknown task 'nosuch'; known tasks: fake_cli_nogen, fake_cli_two_axis, "
                   "fake_cli_yesno; use one of those names")


def test_synth_writes_examples_with_rejected(tmp_path, fake_rejected):
    out = tmp_path / "synth" / "uti.jsonl"
    code, text = run("synth", "fake_cli_yesno", "--n", "4", "--seed", "7", "--out", str(out))
    assert code == 0, text
    assert text.strip() == f"wrote 4 fake_cli_yesno examples to {out}"
    assert fake_rejected == [(4, "fake_cli_yesno", "wrong_label", 7)]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["7-0", "7-1", "7-2", "7-3"]
    assert all(r["rejected"] != r["chosen"] for r in records)
    # what synth writes, validate accepts
    code, text = run("validate", str(out), "--task", "fake_cli_yesno")
    assert code == 0, text


def test_synth_is_deterministic_by_seed(tmp_path, fake_rejected):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    for path, seed in ((a, "1"), (b, "1"), (c, "2")):
        assert run("synth", "fake_cli_yesno", "--n", "3", "--seed", seed, "--out", str(path))[0] == 0
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_synth_task_without_generator_exits_2(tmp_path, fake_rejected):
    code, err = run("synth", "fake_cli_nogen", "--n", "2", "--out", str(tmp_path / "x.jsonl"))
    assert code == 2
    assert "has no synthetic generator" in err
    assert not (tmp_path / "x.jsonl").exists()


def test_synth_unknown_task_exits_2(tmp_path, fake_rejected):
    code, err = run("synth", "nosuch", "--n", "2", "--out", str(tmp_path / "x.jsonl"))
    assert code == 2
    assert err.startswith("unknown task 'nosuch'; known tasks: ")


def test_synth_needs_a_positive_n(tmp_path, fake_rejected):
    code, _ = run("synth", "fake_cli_yesno", "--n", "0", "--out", str(tmp_path / "x.jsonl"))
    assert code == 2  # click's own usage error


_HAVE_MAIN = all(importlib.util.find_spec(f"medtune.cli.{m}") for m in ("demo", "study"))


@pytest.mark.skipif(not _HAVE_MAIN, reason="medtune.cli.demo/study not written yet")
def test_real_command_prints_problems_to_stderr_and_exits_2(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "prompt": "p", "label": "x"}])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
           "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "medtune", "data", "validate", str(f), "--task", "nosuch"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert "unknown task 'nosuch'; known tasks:" in proc.stderr
    assert proc.stdout == ""
