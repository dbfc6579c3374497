"""Reader fixes of issue 13 that the malformed corpus (tests/malformed) checks only by exit
code and place: what is read, what is kept, what the file modes are."""

from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from medtune.cli.data import app
from medtune.data.importers import import_table
from medtune.data.validate import load_examples
from medtune.errors import UserError
from medtune.tasks import get_task

GOOD = {"id": "a", "prompt": "Dysuria and pyuria. UTI?", "chosen": "yes", "label": "yes"}


def test_bad_json_does_not_hide_the_other_problems(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps(GOOD) + "\n{oops\n" + json.dumps({**GOOD, "id": "b", "label": "maybe"}) + "\n"
                 + json.dumps({**GOOD, "id": "c", "chosen": ""}) + "\n")
    with pytest.raises(UserError) as err:
        load_examples(f, get_task("uti"))
    assert [p.split(": ")[1].split(";")[0] for p in err.value.problems] == ["invalid JSON (Expecting property name enclosed "
                                                              "in double quotes, column 2)", "label", "chosen"]
    assert [p.split(":")[1] for p in err.value.problems] == ["2", "3", "4"]


def test_pretty_printed_json_array_is_read_with_line_numbers(tmp_path):
    f = tmp_path / "d.json"
    f.write_text(json.dumps([GOOD, {**GOOD, "id": "b", "prompt": "Clean UA. UTI?", "chosen": "no", "label": "no"}],
                            indent=2))
    assert [e.id for e in load_examples(f, get_task("uti"))] == ["a", "b"]


def test_parquet_binary_text_is_decoded_not_written_as_bytes_repr(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = tmp_path / "d.parquet"
    pq.write_table(pa.table({"Note": pa.array(["Pyurie, dysurie".encode()], pa.binary()), "Answer": ["yes"]}), f)
    (ex,), _ = import_table(f, get_task("uti"), {"prompt": "Note", "chosen": "Answer", "label": "Answer"})
    assert ex.prompt == "Pyurie, dysurie"


def test_duplicate_column_names_are_an_error_not_the_last_column(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("Note,Answer,Note\nfirst note,yes,second note\n")
    with pytest.raises(UserError, match=r"names a column twice: 'Note' \(columns 1 and 3\)"):
        import_table(f, get_task("uti"), {"prompt": "Note", "chosen": "Answer"})


def test_validate_reads_xlsx_like_import(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "prompt", "chosen", "label"])
    wb.active.append(["a", "Dysuria, 30 WBC/hpf. UTI?", "yes", "yes"])
    wb.save(tmp_path / "d.xlsx")
    (ex,) = load_examples(tmp_path / "d.xlsx", get_task("uti"))
    assert (ex.id, ex.label) == ("a", "yes")


def test_csv_cell_over_the_field_limit_names_the_row(tmp_path, monkeypatch):
    import csv

    import medtune.data.tabular as tabular

    before = csv.field_size_limit()
    monkeypatch.setattr(tabular, "_CSV_FIELD_LIMIT", 1024)  # the reader sets the csv module's limit to it
    f = tmp_path / "d.csv"
    f.write_text("id,prompt,chosen,label\na,p,yes,yes\nb," + "x" * 5000 + ",no,no\n")
    with pytest.raises(UserError) as err:
        load_examples(f, get_task("uti"))
    csv.field_size_limit(before)
    assert err.value.problems == [f"{f}:3: cannot read this row (a cell longer than 1,024 characters, usually an "
                                  "unclosed quote; check the quotes of this row)"]


def test_prompt_longer_than_the_model_context(tmp_path, tiny_model_dir):
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "b", "prompt": "dysuria " * 2000}) + "\n")
    result = CliRunner().invoke(app, ["validate", str(f), "--task", "uti"])
    assert result.exit_code == 0  # without a model there is no context to check against
    result = CliRunner().invoke(app, ["validate", str(f), "--task", "uti", "--model", str(tiny_model_dir)])
    assert isinstance(result.exception, UserError)
    (problem,) = result.exception.problems
    assert problem.startswith(f"{f}:2: prompt: ") and "over the model's context of 1024" in problem


def test_outputs_new_files_owner_only_replaced_files_keep_their_mode(tmp_path):
    new, shared = tmp_path / "new.jsonl", tmp_path / "shared.jsonl"
    shared.write_text("old\n")
    os.chmod(shared, 0o644)
    for out in (new, shared):
        result = CliRunner().invoke(app, ["synth", "uti", "--n", "3", "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644


def test_medqa_empty_file_writes_nothing(tmp_path):
    f, out = tmp_path / "medqa.jsonl", tmp_path / "out.jsonl"
    f.write_text("\n")
    result = CliRunner().invoke(app, ["medqa", str(f), "--out", str(out)])
    assert isinstance(result.exception, UserError) and "no questions" in str(result.exception)
    assert not out.exists()


def test_json_messages_read_once_at_the_column(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text('{"id": "a", "prompt": "unterminated\n{"id": "b", "prompt": "tab\there"}\n')
    with pytest.raises(UserError) as err:
        load_examples(f, get_task("uti"))
    text = str(err.value)
    assert "at at" not in text
    assert f"{f}:1: invalid JSON (Unterminated string starting, column 23)" in text
    assert f"{f}:2: invalid JSON (Invalid control character, column 27)" in text


def test_a_directory_is_reported_as_a_directory(tmp_path):
    folder = tmp_path / "exports.csv"
    folder.mkdir()
    for args in (["import", str(folder), "--task", "uti", "--map", "prompt=a", "--map", "chosen=b",
                  "--out", str(tmp_path / "o.jsonl")], ["validate", str(folder), "--task", "uti"]):
        result = CliRunner().invoke(app, args)
        assert isinstance(result.exception, UserError)
        assert str(result.exception) == f"{folder}: is a directory; pass the data file inside it"
