"""Import a user's table (CSV, XLSX, Parquet, JSONL) into Examples by a column mapping.

Users bring spreadsheets whose columns are named after their own work ("Note text",
"Reviewer answer"); ``--map prompt="Note text"`` says which column fills which Example field.
Rows keep the number a user sees (the CSV line, the spreadsheet row, the JSONL line; for
Parquet, the row counted from 1), so every problem reads ``FILE:ROW: field: what is wrong``.
Rows are checked by ``medtune.data.validate`` like any data file.
"""

from __future__ import annotations

import json
from pathlib import Path

from medtune.data.records import Example
from medtune.data.validate import LabelRules
from medtune.errors import UserError

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


def read_table(path: str | Path) -> tuple[list[str], list[tuple[int, dict]], int, list[str]]:
    """Columns, ``(row number, {column: value})`` for each non-blank row, how many blank rows
    were skipped, and the problems of single rows. Chosen by suffix (tables: data/tabular.py)."""
    from medtune.data.readers import jsonl_rows
    from medtune.data.tabular import TABLE_SUFFIXES, read_bytes
    from medtune.data.tabular import read_table as read_tabular

    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise UserError(f"{path}: cannot import files ending in {suffix or '(no suffix)'!r}; "
                        f"supported: {', '.join(SUFFIXES)}")
    if suffix in TABLE_SUFFIXES:
        return read_tabular(path)
    read_bytes(path)  # a missing file or a directory, said plainly
    rows, problems = jsonl_rows(path)  # skips blank lines itself
    columns = list(dict.fromkeys(k for _, r in rows for k in r))
    return columns, rows, 0, problems


def import_table(path: str | Path, task: LabelRules, mapping: dict[str, str]
                 ) -> tuple[list[Example], int]:
    """Examples from a table by ``mapping`` (field -> column), and the number of blank rows
    skipped. A row without an id gets ``<file stem>-<row>`` (stable while the file is).
    UserError listing the available columns for an unknown one, or every row problem."""
    columns, rows, blank, read_problems = read_table(path)
    unknown = [c for c in mapping.values() if c not in columns]
    if unknown:
        raise UserError(f"{path}: no column named {', '.join(map(repr, unknown))}; the columns "
                        f"are {', '.join(map(repr, columns)) or '(none)'}. Fix the --map value.")
    if not rows and not read_problems:
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

    from medtune.data.validate import in_line_order, validate_records

    examples, problems = validate_records(records, task, str(path))
    problems = in_line_order(read_problems + problems)
    if problems:
        n = len(problems)
        raise UserError(f"{path}: {n} problem{'s' if n != 1 else ''}", problems=problems)
    return examples, blank
