"""Every entry point on every file of the malformed-input corpus (malformed_corpus.py): exit 2,
a message naming the file and line or the key, no traceback, nothing written. The valid but
odd files (BOM, CRLF, blank lines, a JSON array, a long cell) still pass.

The commands run in-process through Typer's runner; a UserError is what ``medtune.cli.main``
turns into exit 2, anything else escaping would be a traceback (exit 1) and fails the test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from malformed_corpus import DATA_CASES, DataCase, study_cases, write_study
from typer.testing import CliRunner

from medtune.cli.data import app as data_app
from medtune.cli.study import app as study_app
from medtune.errors import UserError

ENTRY_POINTS = ("validate", "import", "export", "medqa", "study-validate", "study-run")


def invoke(app, args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    if isinstance(result.exception, UserError):
        return 2, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback for {args}") from result.exception
    return result.exit_code, result.output


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def command(entry: str, path: Path, out: Path, model: Path) -> tuple:
    if entry == "validate":
        return data_app, ["validate", str(path), "--task", "uti"]
    if entry == "import":
        maps = [a for f in ("id", "prompt", "chosen", "label") for a in ("--map", f"{f}={f}")]
        return data_app, ["import", str(path), "--task", "uti", *maps, "--out", str(out)]
    if entry == "export":
        return data_app, ["export", str(path), "--format", "openai-sft", "--task", "uti", "--out", str(out)]
    if entry == "medqa":
        return data_app, ["medqa", str(path), "--out", str(out)]
    study = path.parent / f"study-{path.name}.yaml"
    study.write_text(f"name: c\nmodel: {model}\ntasks:\n  - task: uti\n    data: {{path: {path.name}}}\n"
                     "    sizes: {train: 1, eval: 0, dev: 0, test: 1}\n"
                     "sft: {learning_rates: [1e-4], steps: 1}\ndpo: {learning_rates: [1e-5], steps: 1}\n")
    if entry == "study-validate":
        return study_app, ["validate", str(study)]
    return study_app, ["run", str(study), "--out", str(out)]


@pytest.mark.parametrize("case", [c for c in DATA_CASES if not c.valid], ids=lambda c: c.name)
def test_malformed_data_file_exits_2_naming_the_place(case: DataCase, tmp_path, tiny_model_dir):
    path = case.write(tmp_path)
    where = case.where.replace("{f}", str(path))
    for entry in ENTRY_POINTS:
        if entry in case.skip:
            continue
        out = tmp_path / "out" / "result.jsonl"
        app, args = command(entry, path, out, tiny_model_dir)
        before = files_under(tmp_path)
        code, message = invoke(app, args)
        assert code == 2, f"{entry} accepted {case.name}: {message}"
        assert files_under(tmp_path) == before, f"{entry} wrote files on {case.name}"
        assert path.name in message, f"{entry} on {case.name} does not name the file: {message}"
        if entry in ("validate", "study-validate"):
            assert where in message, f"{entry} on {case.name}: {where!r} not in {message}"


@pytest.mark.parametrize("case", [c for c in DATA_CASES if c.valid], ids=lambda c: c.name)
def test_valid_odd_data_file_passes(case: DataCase, tmp_path):
    path = case.write(tmp_path)
    for entry in ("validate", "import", "export"):
        code, message = invoke(*command(entry, path, tmp_path / f"{entry}.jsonl", Path("unused"))[:2])
        assert code == 0, f"{entry} rejected {case.name}: {message}"


def test_corpus_size():
    """The corpus named in issue 13's closing note: keep it growing, never shrinking."""
    assert len([c for c in DATA_CASES if not c.valid]) >= 60 and len([c for c in DATA_CASES if c.valid]) >= 8


STUDY_CASES = study_cases("MODEL", Path("BAD"))


@pytest.mark.parametrize("name", [c.name for c in STUDY_CASES])
def test_malformed_study_file_exits_2_naming_the_key(name, tmp_path, tiny_model_dir):
    bad_data = tmp_path / "bad.jsonl"
    bad_data.write_text('{"id": "a", "prompt": "p", "chosen": "yes", "label": "yes"}\n{"id": \n')
    case = next(c for c in study_cases(str(tiny_model_dir), bad_data) if c.name == name)
    path = write_study(case, tmp_path)
    where = case.where.replace("{f}", str(path))
    cwd = os.getcwd()
    os.chdir(tmp_path)  # relative data paths in the cases resolve next to the study file anyway
    try:
        for args in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "out")]):
            before = files_under(tmp_path)
            sets = [a for s in case.overrides for a in ("--set", s)]
            code, message = invoke(study_app, args + sets)
            assert code == 2, f"study {args[0]} accepted {name}: {message}"
            assert where in message, f"study {args[0]} on {name}: {where!r} not in {message}"
            assert files_under(tmp_path) == before, f"study {args[0]} wrote files on {name}"
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("entry", ["synth", "import", "export", "medqa"])
@pytest.mark.parametrize("where", ["directory", "parent_is_file", "not_writable"])
def test_out_that_cannot_be_written_exits_2_before_any_work(entry, where, tmp_path, monkeypatch):
    good = DATA_CASES[-1].write(tmp_path)  # a valid JSONL file
    medqa = Path(__file__).parents[1] / "fixtures" / "medqa_small.jsonl"
    if where == "directory":
        out = tmp_path / "a_folder"
        out.mkdir()
    elif where == "parent_is_file":
        out = good / "out.jsonl"
    else:
        out = tmp_path / "locked" / "out.jsonl"
        out.parent.mkdir()

        def refuse(*args, **kwargs):  # tests run as root here, so a chmod would not stop a write
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr("medtune.files.tempfile.mkstemp", refuse)
    args = {"synth": ["synth", "uti", "--n", "4", "--out", str(out)],
            "import": ["import", str(good), "--task", "uti", "--map", "prompt=prompt", "--map", "chosen=chosen",
                       "--out", str(out)],
            "export": ["export", str(good), "--format", "openai-sft", "--out", str(out)],
            "medqa": ["medqa", str(medqa), "--out", str(out)]}[entry]
    before = files_under(tmp_path)
    code, message = invoke(data_app, args)
    assert code == 2 and f"--out {out}" in message, message
    assert files_under(tmp_path) == before


def test_study_out_that_is_a_file_exits_2(tmp_path, tiny_model_dir):
    study = tmp_path / "s.yaml"
    from malformed_corpus import study_text

    study.write_text(study_text(str(tiny_model_dir)))
    out = tmp_path / "taken"
    out.write_text("x")
    code, message = invoke(study_app, ["run", str(study), "--out", str(out)])
    assert code == 2 and "is a file" in message, message


def test_the_real_command_prints_the_message_without_a_traceback(tmp_path):
    """Through ``medtune.cli.main`` in a subprocess: exit 2, the message on stderr, even when it
    quotes a key that cannot be encoded (a lone surrogate), and no traceback."""
    import subprocess
    import sys

    case = next(c for c in DATA_CASES if c.name == "lone_surrogate_in_meta_key")
    path = case.write(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "medtune", "data", "validate", str(path), "--task", "uti"],
                          capture_output=True, text=True, errors="backslashreplace", timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")})
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:1: meta.\\udc00: holds a lone surrogate" in proc.stderr and "Traceback" not in proc.stderr
