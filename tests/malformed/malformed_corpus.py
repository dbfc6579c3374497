"""A corpus of malformed (and valid but odd) inputs, written into a folder by ``build``.

Each data case is a file for the `uti` task (labels yes/no) with the place its message must
name (``FILE:LINE``, or the file alone when the problem is the whole file); each study case is
a study YAML (plus ``--set`` overrides) with the key or line its message must name. The cases
come from trying medtune as a new user would (issue 13): broken JSON, wrong encodings, Excel
and Parquet quirks, YAML with repeated keys, values out of range.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

GOOD = {"id": "a", "prompt": "Dysuria and 40 WBC/hpf. UTI? Answer yes or no.", "chosen": "yes", "label": "yes"}
GOOD2 = {"id": "b", "prompt": "Routine visit, clean urinalysis. UTI? Answer yes or no.", "chosen": "no",
         "label": "no"}


def _lines(*records) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


def _rec(**changes) -> dict:
    r = {**GOOD, **changes}
    return {k: v for k, v in r.items() if v is not ...}


@dataclass
class DataCase:
    name: str
    suffix: str
    content: bytes | Callable[[Path], None]
    where: str  # "{f}" is the file path, e.g. "{f}:2"
    skip: set[str] = field(default_factory=set)  # entry points that rightly accept it
    valid: bool = False  # valid but odd: every reader entry point must accept it

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.name}{self.suffix}"
        if callable(self.content):
            self.content(path)
        else:
            path.write_bytes(self.content)
        return path


# --- builders for binary formats ---------------------------------------------------------------
def _xlsx(rows, *, merge=None, second_sheet=False, title=None):
    def build(path: Path) -> None:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        target = wb.create_sheet("Data") if second_sheet else ws
        if title:
            target.append([title])
        for row in rows:
            target.append(row)
        if merge:
            target.merge_cells(merge)
        wb.save(path)
    return build


def _parquet(columns: list[str], arrays: list[list]):
    def build(path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_arrays([pa.array(a) for a in arrays], names=columns), path)
    return build


HEADER = ["id", "prompt", "chosen", "label"]
ROW1 = [GOOD[k] for k in HEADER]
ROW2 = [GOOD2[k] for k in HEADER]


def _deep(n: int) -> str:
    return "[" * n + "]" * n


DATA_CASES: list[DataCase] = [
    # JSON Lines: one bad line must not hide the others, and none may crash the reader
    DataCase("bad_json_line", ".jsonl", _lines(GOOD, '{"id": "b", "prompt": "x",', GOOD2), "{f}:2"),
    DataCase("json_and_field_errors", ".jsonl", _lines(GOOD, "{oops}", _rec(id="c", chosen=...)), "{f}:3"),
    DataCase("line_is_a_list", ".jsonl", _lines(GOOD, "[1, 2]"), "{f}:2"),
    DataCase("line_is_a_string", ".jsonl", _lines('"just text"', GOOD2), "{f}:1"),
    DataCase("line_is_null", ".jsonl", _lines(GOOD, "null"), "{f}:2"),
    DataCase("missing_prompt", ".jsonl", _lines(_rec(prompt=...)), "{f}:1: prompt"),
    DataCase("missing_chosen", ".jsonl", _lines(_rec(chosen=...)), "{f}:1: chosen"),
    DataCase("empty_chosen", ".jsonl", _lines(_rec(chosen="  ")), "{f}:1: chosen"),
    DataCase("unknown_label", ".jsonl", _lines(_rec(label="maybe")), "{f}:1: label"),
    DataCase("label_case", ".jsonl", _lines(_rec(label="Yes")), "{f}:1: label"),
    DataCase("label_number", ".jsonl", _lines(_rec(label=1)), "{f}:1: label"),
    DataCase("prompt_number", ".jsonl", _lines(_rec(prompt=12)), "{f}:1: prompt"),
    DataCase("prompt_nan", ".jsonl", _lines('{"id": "a", "prompt": NaN, "chosen": "yes", "label": "yes"}'),
             "{f}:1: prompt"),
    DataCase("id_number", ".jsonl", _lines(_rec(id=7)), "{f}:1: id"),
    DataCase("bad_split", ".jsonl", _lines(_rec(split="validation")), "{f}:1: split", skip={"import"}),
    DataCase("duplicate_id", ".jsonl", _lines(GOOD, _rec(prompt="another")), "{f}:2: id"),
    DataCase("leakage", ".jsonl", _lines(_rec(split="train"), _rec(id="b", split="test")), "{f}:2: prompt",
             skip={"import"}),
    DataCase("control_char", ".jsonl", _lines(_rec(prompt="Dysuria\u0007 and pyuria")), "{f}:1: prompt"),
    DataCase("rejected_same", ".jsonl", _lines(_rec(rejected="YES")), "{f}:1: rejected", skip={"import"}),
    DataCase("rejected_empty", ".jsonl", _lines(_rec(rejected="")), "{f}:1: rejected", skip={"import"}),
    DataCase("chosen_reads_other_label", ".jsonl", _lines(_rec(chosen="no")), "{f}:1: chosen"),
    DataCase("chat_ends_with_assistant", ".jsonl",
             _lines(_rec(prompt=[{"role": "user", "content": "UTI?"}, {"role": "assistant", "content": "yes"}])),
             "{f}:1: prompt"),
    DataCase("chat_bad_message", ".jsonl", _lines(_rec(prompt=[{"role": "user"}])), "{f}:1: prompt"),
    DataCase("unknown_field", ".jsonl", _lines(_rec(notes="x")), "{f}:1: notes", skip={"import"}),
    DataCase("meta_not_object", ".jsonl", _lines(_rec(meta="x")), "{f}:1: meta", skip={"import"}),
    DataCase("invalid_utf8", ".jsonl", _lines(GOOD) + b'{"id": "b", "prompt": "caf\xe9"}\n', "{f}:2"),
    DataCase("utf16_bom", ".jsonl", _lines(GOOD, GOOD2).decode().encode("utf-16"), "{f}"),
    DataCase("utf16_no_bom", ".jsonl", _lines(GOOD, GOOD2).decode().encode("utf-16-le"), "{f}"),
    DataCase("lone_surrogate", ".jsonl", _lines(GOOD2, '{"id": "a", "prompt": "x\\ud800", "chosen": "yes", '
                                                '"label": "yes"}'), "{f}:2: prompt"),
    DataCase("lone_surrogate_in_meta_key", ".jsonl",
             _lines('{"id": "a", "prompt": "x", "chosen": "yes", "label": "yes", "meta": {"\\udc00": 1}}'),
             "{f}:1: meta"),
    DataCase("deep_json", ".jsonl", _lines(GOOD, '{"id": "b", "meta": {"x": ' + _deep(100_000) + "}}"), "{f}:2"),
    DataCase("huge_integer", ".jsonl", _lines(GOOD, '{"id": "b", "meta": {"n": ' + "9" * 5000 + "}}"), "{f}:2"),
    DataCase("empty_file", ".jsonl", b"", "{f}"),
    DataCase("only_blank_lines", ".jsonl", b"\n\n  \n", "{f}"),
    DataCase("pretty_printed_object", ".jsonl", json.dumps(GOOD, indent=2).encode(), "{f}:1"),
    DataCase("array_bad_element", ".json", b'[\n  {"id": "a", "prompt": "x", "chosen": "yes", "label": "yes"},\n'
                                           b'  {"id": "b", "prompt": }\n]\n', "{f}:3"),
    DataCase("array_truncated", ".json", json.dumps([GOOD, GOOD2], indent=2).encode()[:-10], "{f}:"),
    DataCase("array_of_numbers", ".json", b"[1, 2]", "{f}:1"),
    DataCase("array_then_text", ".json", json.dumps([GOOD]).encode() + b"\nmore", "{f}:"),
    DataCase("array_field_error", ".json", json.dumps([GOOD, _rec(id="b", label="maybe")], indent=1).encode(),
             "{f}:8: label"),
    DataCase("many_bad_rows", ".jsonl", _lines(*[_rec(id=f"r{i}", label="maybe") for i in range(300)]),
             "and 280 more"),
    DataCase("binary_garbage", ".jsonl", bytes(range(256)) * 4, "{f}"),
    DataCase("wrong_suffix", ".txt", _lines(GOOD), "{f}"),
    # CSV
    DataCase("csv_column_count", ".csv", b"id,prompt,chosen,label\na,p,yes\n", "{f}:2"),
    DataCase("csv_unclosed_quote", ".csv", b'id,prompt,chosen,label\na,"Dysuria,yes,yes\nb,p,no,no\n', "{f}:2"),
    DataCase("csv_bare_quote", ".csv", b'id,prompt,chosen,label\na,"Dysuria"x,yes,yes\n', "{f}:2"),
    DataCase("csv_semicolons", ".csv", b"id;prompt;chosen;label\na;p;yes;yes\n", "{f}:1"),
    DataCase("csv_tabs", ".csv", b"id\tprompt\tchosen\tlabel\na\tp\tyes\tyes\n", "{f}:1"),
    DataCase("csv_duplicate_columns", ".csv", b"id,prompt,chosen,label,chosen\na,p,yes,yes,no\n", "{f}"),
    DataCase("csv_empty", ".csv", b"", "{f}"),
    DataCase("csv_header_only", ".csv", b"id,prompt,chosen,label\n", "{f}"),
    DataCase("csv_utf16", ".csv", "id,prompt,chosen,label\na,p,yes,yes\n".encode("utf-16"), "{f}"),
    DataCase("csv_latin1", ".csv", "id,prompt,chosen,label\na,café,yes,yes\n".encode("latin-1"), "{f}:2"),
    DataCase("csv_bad_label_json", ".csv", b'id,prompt,chosen,label\na,p,yes,"{not json}"\n', "{f}:2: label"),
    DataCase("csv_missing_column", ".csv", b"id,prompt,label\na,p,yes\n", "{f}"),
    DataCase("csv_unknown_label", ".csv", b"id,prompt,chosen,label\na,p,yes,maybe\n", "{f}:2: label"),
    DataCase("csv_lone_surrogate_escape", ".csv", b'id,prompt,chosen,label,meta\na,p,yes,yes,"{""k"": ""\\ud800""}"\n',
             "{f}:2: meta", skip={"import"}),
    # Excel
    DataCase("xlsx_merged", ".xlsx", _xlsx([HEADER, ROW1, ROW2], merge="C2:C3"), "{f}"),
    DataCase("xlsx_formula_no_value", ".xlsx", _xlsx([HEADER, ["a", "=B1&\"x\"", "yes", "yes"]]), "{f}:2"),
    DataCase("xlsx_second_sheet", ".xlsx", _xlsx([HEADER, ROW1], second_sheet=True), "{f}"),
    DataCase("xlsx_title_row", ".xlsx", _xlsx([HEADER, ROW1], title="UTI review 2024"), "{f}"),
    DataCase("xlsx_title_and_blank_row", ".xlsx", _xlsx([[None], HEADER, ROW1], title="UTI review"),
             "Delete the rows above row 3"),
    DataCase("xlsx_duplicate_columns", ".xlsx", _xlsx([HEADER + ["label"], ROW1 + ["no"]]), "{f}"),
    DataCase("xlsx_not_a_workbook", ".xlsx", b"id,prompt\n", "{f}"),
    DataCase("xlsx_unknown_label", ".xlsx", _xlsx([HEADER, ["a", "p", "yes", "maybe"]]), "{f}:2: label"),
    # Parquet
    DataCase("parquet_binary_cells", ".parquet", _parquet(HEADER, [["a"], [b"\xff\xfe\x00"], ["yes"], ["yes"]]),
             "{f}:1: prompt"),
    DataCase("parquet_duplicate_columns", ".parquet",
             _parquet(["id", "prompt", "chosen", "label", "chosen"], [["a"], ["p"], ["yes"], ["yes"], ["no"]]), "{f}"),
    DataCase("parquet_not_parquet", ".parquet", b"PAR1 but not really", "{f}"),
    DataCase("parquet_unknown_label", ".parquet", _parquet(HEADER, [["a"], ["p"], ["yes"], ["maybe"]]), "{f}:1: label"),
    # valid but odd: these must still pass
    DataCase("ok_bom", ".jsonl", b"\xef\xbb\xbf" + _lines(GOOD, GOOD2), "", valid=True),
    DataCase("ok_crlf", ".jsonl", _lines(GOOD, GOOD2).replace(b"\n", b"\r\n"), "", valid=True),
    DataCase("ok_blank_lines", ".jsonl", b"\n" + _lines(GOOD) + b"\n   \n" + _lines(GOOD2) + b"\n\n", "", valid=True),
    DataCase("ok_array", ".json", json.dumps([GOOD, GOOD2], indent=2).encode(), "", valid=True),
    DataCase("ok_csv_bom_crlf", ".csv", b"\xef\xbb\xbfid,prompt,chosen,label\r\na,p1,yes,yes\r\n\r\nb,p2,no,no\r\n",
             "", valid=True),
    DataCase("ok_csv_long_cell", ".csv", b"id,prompt,chosen,label\na," + b"x" * 300_000 + b",yes,yes\n", "",
             valid=True),
    DataCase("ok_csv_multiline_cell", ".csv", b'id,prompt,chosen,label\na,"line 1\nline 2",yes,yes\n', "",
             valid=True),
    DataCase("ok_xlsx", ".xlsx", _xlsx([HEADER, ROW1, [None] * 4, ROW2]), "", valid=True),
    DataCase("ok_parquet_utf8_binary", ".parquet", _parquet(HEADER, [["a"], ["café".encode()], ["yes"], ["yes"]]),
             "", valid=True),
    DataCase("ok_unicode", ".jsonl", _lines(_rec(prompt="Dysurie, leucocytes 40/champ 😷 — IVU ?")), "", valid=True),
]


@dataclass
class StudyCase:
    name: str
    text: str | bytes | None  # None: a folder named like the study file
    where: str  # a key or "{f}:LINE"
    overrides: list[str] = field(default_factory=list)


def study_text(model: str, data: str = "{synthetic: {n: 40}}", **sections: str) -> str:
    """A small valid study (uti on synthetic data) with sections replaced by YAML text."""
    parts = {
        "name": "corpus",
        "model": model,
        "tasks": f"\n  - task: uti\n    data: {data}\n    sizes: {{train: 8, eval: 4, dev: 4, test: 8}}",
        "training": "{batch_size: 4, max_length: 512}",
        "sft": "{learning_rates: [1e-4], steps: 2}",
        "dpo": "{learning_rates: [1e-5], betas: [0.1], steps: 2}",
    }
    parts.update(sections)
    return "".join(f"{k}: {v}\n" for k, v in parts.items())


def study_cases(model: str, bad_data: Path) -> list[StudyCase]:
    ok = study_text(model)
    return [
        StudyCase("folder", None, "{f}"),
        StudyCase("latin1", ok.replace("corpus", "étude").encode("latin-1"), "{f}:1"),
        StudyCase("utf16", ok.encode("utf-16"), "{f}:1"),
        StudyCase("yaml_list", "- name: x\n- model: y\n", "{f}"),
        StudyCase("yaml_scalar", "just words\n", "{f}"),
        StudyCase("bad_yaml", ok + "sft: [unclosed\n", "{f}:"),
        StudyCase("tab_indent", ok + "evaluation:\n\tmode: generate\n", "{f}:"),
        StudyCase("duplicate_top_key", ok + "sft: {learning_rates: [1e-5], steps: 3}\n", "{f}:"),
        StudyCase("duplicate_nested_key", study_text(model, training="{batch_size: 4, batch_size: 8}"),
                  "'batch_size'"),
        StudyCase("duplicate_deep_key", study_text(model, tasks="\n  - task: uti\n    data: {synthetic: {n: 4, n: 8}}"),
                  "'n'"),
        StudyCase("lr_zero", study_text(model, sft="{learning_rates: [0.0], steps: 2}"), "sft.learning_rates.0"),
        StudyCase("lr_negative", study_text(model, dpo="{learning_rates: [1e-5, -1e-5], steps: 2}"),
                  "dpo.learning_rates.1"),
        StudyCase("beta_negative", study_text(model, dpo="{learning_rates: [1e-5], betas: [-0.1], steps: 2}"),
                  "dpo.betas.0"),
        StudyCase("steps_zero", study_text(model, sft="{learning_rates: [1e-4], steps: 0}"), "sft.steps"),
        StudyCase("unknown_model", study_text("no-such-model"), "model"),
        StudyCase("max_length_beyond_context", study_text(model, training="{batch_size: 4, max_length: 100000}"),
                  "training.max_length"),
        StudyCase("max_length_too_small", study_text(model, training="{batch_size: 4, max_length: 40}"),
                  "training.max_length"),
        StudyCase("unknown_task", study_text(model, tasks="\n  - task: uti\n    data: {synthetic: {n: 40}}\n"
                                                          "  - task: utii\n    data: {synthetic: {n: 40}}"),
                  "tasks.1.task"),
        StudyCase("unknown_key", study_text(model, sft="{learning_rates: [1e-4], steps: 2, stepz: 3}"), "sft.stepz"),
        StudyCase("sizes_beyond_n", study_text(model, tasks="\n  - task: uti\n    data: {synthetic: {n: 10}}\n"
                                                            "    sizes: {train: 20, eval: 4, dev: 4, test: 8}"),
                  "tasks.0.sizes"),
        StudyCase("missing_data_file", study_text(model, data="{path: nowhere.jsonl}"), "nowhere.jsonl"),
        StudyCase("data_path_folder", study_text(model, data="{path: .}"), "is a directory"),
        StudyCase("invalid_data_file", study_text(model, data=f"{{path: {bad_data}}}"), f"{bad_data}:2"),
        StudyCase("path_and_synthetic", study_text(model, data="{path: x.jsonl, synthetic: {n: 3}}"), "tasks.0.data"),
        StudyCase("task_twice", study_text(model, tasks="\n  - task: uti\n    data: {synthetic: {n: 40}}\n"
                                                        "  - task: uti\n    data: {synthetic: {n: 40}}"),
                  "tasks.1.task: the task is listed twice"),
        StudyCase("empty_file", "", "name"),
        StudyCase("huge_integer", ok + "seed: " + "9" * 5000 + "\n", "{f}:"),
        StudyCase("huge_integer_in_set", ok, "seed=", ["seed=" + "9" * 5000]),
        StudyCase("deep_yaml", "name: " + "[" * 20000 + "]" * 20000 + "\n", "{f}"),
        StudyCase("set_malformed_value", ok, "sft.steps=[1", ["sft.steps=[1"]),
        StudyCase("set_on_list", ok, "sft.learning_rates.x=1", ["sft.learning_rates.x=1"]),
        StudyCase("set_list_index_out_of_range", ok, "tasks.3.sizes.test=1", ["tasks.3.sizes.test=1"]),
        StudyCase("set_on_yaml_list", "- a\n- b\n", "{f}", ["sft.steps=3"]),
        StudyCase("set_not_key_value", ok, "sft.steps", ["sft.steps"]),
        StudyCase("set_through_a_value", ok, "sft.steps.x=1", ["sft.steps.x=1"]),
        StudyCase("set_duplicate_in_value", ok, "sft={steps: 1, steps: 2}", ["sft={steps: 1, steps: 2}"]),
    ]


def write_study(case: StudyCase, folder: Path) -> Path:
    path = folder / f"{case.name}.yaml"
    if case.text is None:
        path.mkdir()
    elif isinstance(case.text, bytes):
        path.write_bytes(case.text)
    else:
        path.write_text(case.text, encoding="utf-8")
    return path
