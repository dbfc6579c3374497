"""Readers turn files into (line number, raw object) pairs and name FILE:LINE on failure."""

from __future__ import annotations

import json

import pytest

from medtune.data.readers import read_jsonl, read_records, write_jsonl
from medtune.data.records import Example
from medtune.errors import UserError


def write(path, text: str | bytes):
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def test_jsonl_rows_keep_line_numbers_and_skip_blank_lines(tmp_path):
    f = write(tmp_path / "d.jsonl", '{"id": "a"}\n\n   \n{"id": "b"}\n')
    assert read_jsonl(f) == [(1, {"id": "a"}), (4, {"id": "b"})]


def test_jsonl_accepts_a_byte_order_mark(tmp_path):
    f = write(tmp_path / "d.jsonl", b'\xef\xbb\xbf{"id": "a"}\n')
    assert read_jsonl(f) == [(1, {"id": "a"})]


def test_jsonl_reports_every_bad_line_at_once(tmp_path):
    f = write(tmp_path / "d.jsonl",
              '{"id": "a"}\n{"id": \n[1, 2]\n"text"\n{"id": "b"}\n{bad}\n')
    with pytest.raises(UserError) as info:
        read_jsonl(f)
    err = info.value
    assert err.message == f"{f}: 4 lines could not be read"
    assert len(err.problems) == 4
    assert err.problems[0].startswith(f"{f}:2: invalid JSON (")
    assert "one complete JSON object" in err.problems[0]
    assert err.problems[1] == (f"{f}:3: expected a JSON object {{...}} but found a list; "
                               "each line must hold one record object")
    assert err.problems[2].startswith(f"{f}:4: expected a JSON object {{...}} but found a string")
    assert err.problems[3].startswith(f"{f}:6: invalid JSON (")
    assert f"{f}:2: invalid JSON" in str(err)  # the CLI prints str(err)


def test_jsonl_bad_encoding_names_line_and_says_to_resave(tmp_path):
    f = write(tmp_path / "d.jsonl", b'{"id": "a"}\n{"id": "caf\xe9"}\n')
    with pytest.raises(UserError) as info:
        read_jsonl(f)
    (problem,) = info.value.problems
    assert problem == (f"{f}:2: not valid UTF-8 (byte 0xe9 at column 12); "
                       "re-save the file as UTF-8")


def test_missing_file_names_path_and_says_to_check_it(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(UserError) as info:
        read_records(missing)
    assert str(info.value).startswith(f"{missing}: no such file; check the path")


def test_directory_is_not_a_file(tmp_path):
    d = tmp_path / "data.jsonl"
    d.mkdir()
    with pytest.raises(UserError, match="is a directory"):
        read_records(d)


def test_json_suffix_reads_json_lines(tmp_path):
    f = write(tmp_path / "d.json", '{"id": "a"}\n')
    assert read_records(f) == [(1, {"id": "a"})]


def test_unknown_suffix_lists_supported_ones(tmp_path):
    f = write(tmp_path / "d.txt", "x")
    with pytest.raises(UserError) as info:
        read_records(f)
    assert str(info.value) == (f"{f}: cannot read files ending in '.txt'; "
                               "supported: .jsonl, .json, .csv, .xlsx, .parquet. Convert the file or rename it.")


def test_csv_header_json_labels_empty_optionals_and_multiline_cells(tmp_path):
    f = write(tmp_path / "d.csv",
              '\ufeffid,prompt,chosen,label,split,rejected\n'
              'a,hello,yes,yes,train,\n'
              '\n'
              'b,"two\nlines",no,"{""urgency"": ""urgent""}",,\n'
              'c,x,y,n,test,z\n')
    rows = read_records(f)
    assert rows == [
        (2, {"id": "a", "prompt": "hello", "chosen": "yes", "label": "yes", "split": "train"}),
        (4, {"id": "b", "prompt": "two\nlines", "chosen": "no", "label": {"urgency": "urgent"}}),
        (6, {"id": "c", "prompt": "x", "chosen": "y", "label": "n", "split": "test",
             "rejected": "z"}),
    ]


def test_csv_problems_name_file_and_line(tmp_path):
    f = write(tmp_path / "d.csv",
              'id,prompt,chosen,label\n'
              'a,p,c\n'
              'b,p,c,{not json}\n'
              'c,p,c,yes\n')
    with pytest.raises(UserError) as info:
        read_records(f)
    assert info.value.problems == [
        f"{f}:2: 3 values but the header has 4 columns; quote cells that contain commas",
        f"{f}:3: label: invalid JSON (Expecting property name enclosed in double quotes); "
        'write a multi-axis label as {"axis": "value", ...}',
    ]


def test_csv_bad_encoding_names_line(tmp_path):
    f = write(tmp_path / "d.csv", b"id,prompt,chosen\na,p,c\nb,caf\xe9,c\n")
    with pytest.raises(UserError) as info:
        read_records(f)
    assert str(info.value) == (f"{f}:3: not valid UTF-8 (byte 0xe9 at column 6); "
                               "re-save the file as UTF-8 (in Excel: CSV UTF-8)")


def test_empty_csv_needs_a_header(tmp_path):
    f = write(tmp_path / "d.csv", "")
    with pytest.raises(UserError, match="needs a header row"):
        read_records(f)


def test_write_jsonl_round_trips_and_leaves_no_temp_file(tmp_path):
    out = tmp_path / "sub" / "out.jsonl"
    examples = [
        Example(id="a", prompt="café", chosen="yes", label="yes", split="train"),
        Example(id="b", prompt=[{"role": "user", "content": "hi"}], chosen="no",
                label={"urgency": "urgent"}),
    ]
    write_jsonl(out, examples)
    rows = read_jsonl(out)
    assert [Example.model_validate(obj) for _, obj in rows] == examples
    assert "café" in out.read_text(encoding="utf-8")  # not \u-escaped
    assert "rejected" not in rows[0][1]  # None fields are left out
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.jsonl"]


def test_write_jsonl_failure_keeps_the_old_file(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "old"}\n')

    def broken():
        yield Example(id="a", prompt="p", chosen="c")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_jsonl(out, broken())
    assert out.read_text() == '{"id": "old"}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    assert json.loads(out.read_text()) == {"id": "old"}
