"""Import a user's table (CSV, XLSX, Parquet, JSONL) into Examples by a column mapping.

Users bring spreadsheets whose columns are named after their own work ("Note text",
"Reviewer answer"); ``--map prompt="Note text"`` says which column fills which Example field.
Rows keep the number a user sees (the CSV line, the spreadsheet row, the JSONL line; for
Parquet, the row counted from 1), so every problem reads ``FILE:ROW: field: what is wrong``.
Rows are checked by ``medtune.data.validate`` like any data file.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from medtune.data.records import Example
from medtune.errors import UserError
from medtune.tasks.base import Task

MAPPABLE = ("id", "split", "prompt", "chosen", "rejected", "label")
REQUIRED_MAPS = ("prompt", "chosen")
SUFFIXES = (".csv", ".xlsx", ".parquet", ".jsonl", ".json")
# Empty cells in these columns mean "absent"; an empty prompt or chosen is a problem to report.
_OPTIONAL = ("id", "split", "rejected", "label")


def parse_maps(items: list[str]) -> dict[str, str]:
    """``["prompt=Note text", ...]`` -> ``{"prompt": "Note text"}``; UserError on a bad item."""
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not column:
            raise UserError(f"--map {item!r}: write it as FIELD=COLUMN, e.g. --map prompt=note")
        if field not in MAPPABLE:
            raise UserError(f"--map {item!r}: {field!r} is not a field; map one of "
                            f"{', '.join(MAPPABLE)}")
        if field in mapping:
            raise UserError(f"--map {item!r}: {field} is mapped twice; keep one")
        mapping[field] = column
    missing = [f for f in REQUIRED_MAPS if f not in mapping]
    if missing:
        raise UserError(f"--map: {' and '.join(missing)} not mapped; add "
                        + " ".join(f"--map {f}=COLUMN" for f in missing))
    return mapping


def read_table(path: str | Path) -> tuple[list[str], list[tuple[int, dict]], int]:
    """Columns, ``(row number, {column: value})`` for each non-blank row, and how many blank
    rows were skipped. Chosen by suffix."""
    suffix = Path(path).suffix.lower()
    if not Path(path).is_file():
        raise UserError(f"{path}: no such file; check the path")
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix in (".jsonl", ".json"):
        from medtune.data.readers import read_jsonl

        rows = read_jsonl(path)  # skips blank lines itself
        columns = list(dict.fromkeys(k for _, r in rows for k in r))
        return columns, rows, 0
    raise UserError(f"{path}: cannot import files ending in {suffix or '(no suffix)'!r}; "
                    f"supported: {', '.join(SUFFIXES)}")


def import_table(path: str | Path, task: Task, mapping: dict[str, str]
                 ) -> tuple[list[Example], int]:
    """Examples from a table by ``mapping`` (field -> column), and the number of blank rows
    skipped. A row without an id gets ``<file stem>-<row>`` (stable while the file is).
    UserError listing the available columns for an unknown one, or every row problem."""
    columns, rows, blank = read_table(path)
    unknown = [c for c in mapping.values() if c not in columns]
    if unknown:
        raise UserError(f"{path}: no column named {', '.join(map(repr, unknown))}; the columns "
                        f"are {', '.join(map(repr, columns)) or '(none)'}. Fix the --map value.")
    if not rows:
        raise UserError(f"{path}: no data rows; the file needs a header row and one row per "
                        "example")
    records = []
    stem = Path(path).stem
    for row, cells in rows:
        record = {}
        for field, column in mapping.items():
            value = cells.get(column)
            if field in _OPTIONAL and (value is None or value == ""):
                continue
            if field == "label" and isinstance(value, str) and value.lstrip().startswith("{"):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    pass  # left as text: the validator reports it against the label set
            record[field] = value
        record.setdefault("id", f"{stem}-{row}")
        records.append((row, record))

    from medtune.data.validate import validate_records

    examples, problems = validate_records(records, task, str(path))
    if problems:
        n = len(problems)
        raise UserError(f"{path}: {n} problem{'s' if n != 1 else ''}", problems=problems)
    return examples, blank


# --- formats -----------------------------------------------------------------------------
def _cell(value) -> str | dict | list | None:
    """A spreadsheet or Parquet cell as Example text: numbers become text (12.0 -> "12")."""
    if value is None or isinstance(value, (str, dict, list)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _read_csv(path) -> tuple[list[str], list[tuple[int, dict]], int]:
    data = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[err.start]:02x}); "
                        "re-save the file as UTF-8 (in Excel: CSV UTF-8)") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows, blank, end = [], 0, reader.line_num
    for cells in reader:
        start, end = end + 1, reader.line_num
        if _is_blank(cells):
            blank += 1
            continue
        if len(cells) != len(header):
            raise UserError(f"{path}:{start}: {len(cells)} values but the header has "
                            f"{len(header)} columns; quote cells that contain commas")
        rows.append((start, dict(zip(header, cells))))
    return header, rows, blank


def _read_xlsx(path) -> tuple[list[str], list[tuple[int, dict]], int]:
    """The first sheet; merged cells are an error (only their top-left cell holds the value,
    so the other rows would silently lose it)."""
    from openpyxl import load_workbook

    try:
        ws = load_workbook(path, data_only=True).worksheets[0]
    except Exception as err:  # openpyxl raises many kinds for a file that is not xlsx
        raise UserError(f"{path}: cannot open as an Excel workbook ({err}); save it as .xlsx"
                        ) from None
    merged = sorted(str(r) for r in ws.merged_cells.ranges)
    if merged:
        raise UserError(f"{path}: sheet {ws.title!r} has merged cells {', '.join(merged)}; "
                        "unmerge them and fill every cell with its value, then import again")
    it = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(it, ())]
    rows, blank = [], 0
    for number, values in enumerate(it, start=2):
        if _is_blank(values):
            blank += 1
            continue
        rows.append((number, {h: _cell(v) for h, v in zip(header, values) if h}))
    return [h for h in header if h], rows, blank


def _read_parquet(path) -> tuple[list[str], list[tuple[int, dict]], int]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises ArrowInvalid and OSError subclasses
        raise UserError(f"{path}: cannot read as Parquet ({err})") from None
    rows, blank = [], 0
    for number, row in enumerate(table.to_pylist(), start=1):
        if _is_blank(row.values()):
            blank += 1
            continue
        rows.append((number, {k: _cell(v) for k, v in row.items()}))
    return table.column_names, rows, blank
