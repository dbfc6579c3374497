"""Importing CSV, XLSX, Parquet and JSONL tables by a column mapping; problems as FILE:ROW."""

from __future__ import annotations

import json

import pytest

from medtune.data.importers import import_table, parse_maps, read_table
from medtune.errors import UserError
from medtune.tasks.base import Endpoint, Task

ROWS = [{"Note": "Dysuria, 20 WBC/hpf", "Answer": "yes", "Grade": "yes", "Set": "train"},
        {"Note": "Routine visit, clean UA", "Answer": "no", "Grade": "no", "Set": "test"}]
MAP = {"prompt": "Note", "chosen": "Answer", "label": "Grade", "split": "Set"}


class YesNo(Task):
    name = "fake_import_yesno"
    endpoints = (Endpoint("uti", ("yes", "no"), positive="yes"),)

    def answer(self, label):
        return str(label)


def write_csv(path, rows, header=None):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header or list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def write_xlsx(path, rows, merge=None, blank_after=None):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    header = list(rows[0])
    ws.append(header)
    for i, r in enumerate(rows):
        ws.append([r[h] for h in header])
        if blank_after == i:
            ws.append([None] * len(header))
    if merge:
        ws.merge_cells(merge)
    wb.save(path)
    return path


def write_parquet(path, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("writer,suffix", [(write_csv, "csv"), (write_xlsx, "xlsx"),
                                           (write_parquet, "parquet"), (write_jsonl, "jsonl")])
def test_every_format_imports_the_same_examples(tmp_path, writer, suffix):
    f = writer(tmp_path / f"notes.{suffix}", ROWS)
    examples, blank = import_table(f, YesNo(), MAP)
    assert blank == 0
    assert [(e.prompt, e.chosen, e.label, e.split) for e in examples] == [
        ("Dysuria, 20 WBC/hpf", "yes", "yes", "train"), ("Routine visit, clean UA", "no", "no",
                                                         "test")]
    rows = [n for n, _ in read_table(f)[1]]
    assert [e.id for e in examples] == [f"notes-{n}" for n in rows]  # generated, by row


def test_generated_ids_are_deterministic_and_mapped_ids_kept(tmp_path):
    f = write_csv(tmp_path / "d.csv", [{**r, "Key": f"k{i}"} for i, r in enumerate(ROWS)])
    assert [e.id for e in import_table(f, YesNo(), MAP)[0]] == ["d-2", "d-3"]
    assert [e.id for e in import_table(f, YesNo(), {**MAP, "id": "Key"})[0]] == ["k0", "k1"]


def test_unknown_column_lists_the_available_ones(tmp_path):
    f = write_csv(tmp_path / "d.csv", ROWS)
    with pytest.raises(UserError) as info:
        import_table(f, YesNo(), {**MAP, "chosen": "Reply"})
    assert str(info.value) == (f"{f}: no column named 'Reply'; the columns are 'Note', "
                               "'Answer', 'Grade', 'Set'. Fix the --map value.")


def test_row_problems_name_file_and_row(tmp_path):
    rows = ROWS + [{"Note": "Fever", "Answer": "yes", "Grade": "maybe", "Set": "train"},
                   {"Note": " ", "Answer": "no", "Grade": "no", "Set": "dev"}]
    for f, first in ((write_csv(tmp_path / "d.csv", rows), 4),
                     (write_xlsx(tmp_path / "d.xlsx", rows), 4),
                     (write_parquet(tmp_path / "d.parquet", rows), 3)):
        with pytest.raises(UserError) as info:
            import_table(f, YesNo(), MAP)
        assert info.value.problems == [
            f"{f}:{first}: label: uti='maybe' is not one of ['yes', 'no']",
            f"{f}:{first + 1}: prompt: empty; give it some text"]


def test_xlsx_merged_cells_are_an_error_with_what_to_do(tmp_path):
    f = write_xlsx(tmp_path / "d.xlsx", ROWS + ROWS[:1], merge="C2:C3")
    with pytest.raises(UserError) as info:
        import_table(f, YesNo(), MAP)
    assert str(info.value) == (f"{f}: sheet 'Sheet' has merged cells C2:C3; unmerge them and "
                               "fill every cell with its value, then import again")


def test_xlsx_blank_rows_are_skipped_and_counted(tmp_path):
    f = write_xlsx(tmp_path / "d.xlsx", ROWS, blank_after=0)
    examples, blank = import_table(f, YesNo(), MAP)
    assert blank == 1 and len(examples) == 2
    assert examples[1].id == "d-4"  # the spreadsheet row the user sees


def test_xlsx_numbers_become_text(tmp_path):
    f = write_xlsx(tmp_path / "d.xlsx", [{"Note": 12.0, "Answer": "yes", "Grade": "yes"}])
    (ex,), _ = import_table(f, YesNo(), {"prompt": "Note", "chosen": "Answer", "label": "Grade"})
    assert ex.prompt == "12"


def test_csv_with_bom_and_bad_encoding(tmp_path):
    f = tmp_path / "d.csv"
    f.write_bytes(b"\xef\xbb\xbfNote,Answer,Grade\ncaf\xc3\xa9,yes,yes\n")
    (ex,), _ = import_table(f, YesNo(), {"prompt": "Note", "chosen": "Answer", "label": "Grade"})
    assert ex.prompt == "café"
    f.write_bytes(b"Note,Answer,Grade\ncaf\xe9,yes,yes\n")
    with pytest.raises(UserError, match=r"d\.csv:2: not valid UTF-8 \(byte 0xe9 at column 4\)"):
        import_table(f, YesNo(), {"prompt": "Note", "chosen": "Answer"})


def test_multi_axis_label_cell_is_json(tmp_path):
    class TwoAxis(YesNo):
        endpoints = (Endpoint("a", ("x", "y"), "x"), Endpoint("b", ("u", "v"), "u"))

    f = write_jsonl(tmp_path / "d.jsonl", [{"p": "q", "c": "r", "l": '{"a": "x", "b": "v"}'}])
    (ex,), _ = import_table(f, TwoAxis(), {"prompt": "p", "chosen": "c", "label": "l"})
    assert ex.label == {"a": "x", "b": "v"}


@pytest.mark.parametrize("items,message", [
    (["prompt=Note"], "--map: chosen not mapped; add --map chosen=COLUMN"),
    (["prompt", "chosen=A"], "--map 'prompt': write it as FIELD=COLUMN"),
    (["prompt=N", "chosen=A", "answer=B"], "'answer' is not a field; map one of id, split"),
    (["prompt=N", "chosen=A", "chosen=B"], "chosen is mapped twice"),
])
def test_bad_map_options(items, message):
    with pytest.raises(UserError) as info:
        parse_maps(items)
    assert message in str(info.value)


def test_parse_maps_allows_spaces_in_column_names():
    assert parse_maps(["prompt=Note text", "chosen= Reviewer answer"]) == {
        "prompt": "Note text", "chosen": "Reviewer answer"}


def test_unsupported_suffix_and_missing_file(tmp_path):
    f = tmp_path / "d.xls"
    f.write_text("x")
    with pytest.raises(UserError, match="supported: .csv, .xlsx, .parquet"):
        read_table(f)
    with pytest.raises(UserError, match="no such file"):
        read_table(tmp_path / "nope.csv")


def test_cli_import_writes_jsonl(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import medtune.tasks as tasks_pkg
    from medtune.cli.data import app

    monkeypatch.setattr(tasks_pkg, "_REGISTRY", {"fake_import_yesno": YesNo})
    monkeypatch.setattr(tasks_pkg, "_BUILTINS", ())
    f = write_xlsx(tmp_path / "d.xlsx", ROWS, blank_after=0)
    out = tmp_path / "o.jsonl"
    args = ["import", str(f), "--task", "fake_import_yesno", "--out", str(out)]
    for k, v in MAP.items():
        args += ["--map", f"{k}={v}"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"wrote 2 fake_import_yesno examples to {out} "
                                     "(1 blank rows skipped)")
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["d-2", "d-4"]
