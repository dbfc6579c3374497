"""Read user data files into raw records, and write Examples back out.

Readers return ``(line number, raw object)`` pairs and do not validate fields: that is
``medtune.data.validate``'s job, which needs the line numbers to name every problem as
``FILE:LINE: field: what is wrong``. A reader only rejects what it cannot turn into an
object at all (bad encoding, bad JSON, a line that is not an object), and it reports every
such line at once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from medtune.data.records import Example
from medtune.errors import UserError
from medtune.files import write_lines_atomic

SUPPORTED_SUFFIXES = (".jsonl", ".json", ".csv")

# CSV cells are always text; these optional columns mean "absent" when the cell is empty.
_CSV_OPTIONAL = ("split", "rejected", "label", "meta")


def read_records(path: str | Path) -> list[tuple[int, dict]]:
    """Raw records of a data file, chosen by suffix: ``.jsonl``/``.json`` (one JSON object
    per line) or ``.csv`` (a header row; a ``label`` or ``meta`` cell may hold JSON)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".json"):
        return read_jsonl(path)
    if suffix == ".csv":
        return read_csv(path)
    raise UserError(
        f"{path}: cannot read files ending in {suffix or '(no suffix)'!r}; "
        f"supported: {', '.join(SUPPORTED_SUFFIXES)}. Convert the file or rename it."
    )


def read_jsonl(path: str | Path) -> list[tuple[int, dict]]:
    """``(line number, object)`` for each non-blank line (numbers start at 1)."""
    data = _read_bytes(path)
    rows: list[tuple[int, dict]] = []
    problems: list[str] = []
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte order mark, as some editors write
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            problems.append(_encoding_problem(path, lineno, raw, err))
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as err:
            problems.append(
                f"{path}:{lineno}: invalid JSON ({err.msg} at column {err.colno}); "
                "each line must hold one complete JSON object (JSON Lines)"
            )
            continue
        if not isinstance(obj, dict):
            problems.append(
                f"{path}:{lineno}: expected a JSON object {{...}} but found {_json_kind(obj)}; "
                "each line must hold one record object"
            )
            continue
        rows.append((lineno, obj))
    _raise_if(path, problems)
    return rows


def read_csv(path: str | Path) -> list[tuple[int, dict]]:
    """``(line number, record)`` for each data row of a CSV file with a header row. The line
    number is where the row starts (a quoted cell may span lines). Empty optional cells
    (split, rejected, label, meta) are left out; a ``label`` or ``meta`` cell starting with
    ``{`` is parsed as JSON, so multi-axis labels fit in one column."""
    data = _read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte order mark, as Excel writes
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        lineno = data[: err.start].count(b"\n") + 1
        line = data.split(b"\n")[lineno - 1]
        start = err.start - (data.rfind(b"\n", 0, err.start) + 1)
        raise UserError(_encoding_problem(path, lineno, line, err, start)) from None

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UserError(f"{path}: the file is empty; it needs a header row "
                        "(id,prompt,chosen,...) and one row per example") from None
    except csv.Error as err:
        raise UserError(f"{path}:1: cannot read the header row ({err})") from None
    header = [h.strip() for h in header]

    rows: list[tuple[int, dict]] = []
    problems: list[str] = []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(f"{path}:{start}: cannot read this row ({err}); check its quotes")
            break  # the csv module cannot resynchronise after a quoting error
        end = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                f"{path}:{start}: {len(cells)} values but the header has {len(header)} columns; "
                "quote cells that contain commas"
            )
            continue
        record: dict = {}
        for name, cell in zip(header, cells):
            if name in _CSV_OPTIONAL and not cell.strip():
                continue
            if name in ("label", "meta") and cell.lstrip().startswith("{"):
                try:
                    record[name] = json.loads(cell)
                except json.JSONDecodeError as err:
                    problems.append(f"{path}:{start}: {name}: invalid JSON ({err.msg}); "
                                    "write a multi-axis label as {\"axis\": \"value\", ...}")
                    continue
            else:
                record[name] = cell
        rows.append((start, record))
    _raise_if(path, problems)
    return rows


def write_jsonl(path: str | Path, examples: Iterable[Example]) -> None:
    """Write examples as JSON Lines atomically: a temporary file in the same directory is
    renamed over ``path``, so a crash never leaves a half-written data file. Fields that
    are None are left out."""
    write_lines_atomic(path, (json.dumps(ex.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n"
                              for ex in examples))


# --- helpers ---------------------------------------------------------------------------
def _read_bytes(path: str | Path) -> bytes:
    p = Path(path)
    if not p.exists():
        raise UserError(f"{path}: no such file; check the path (relative paths start from "
                        f"{Path.cwd()})")
    if p.is_dir():
        raise UserError(f"{path}: is a directory; pass the data file inside it")
    return p.read_bytes()


def _encoding_problem(path, lineno: int, line: bytes, err: UnicodeDecodeError,
                      start: int | None = None) -> str:
    start = err.start if start is None else start
    return (f"{path}:{lineno}: not valid UTF-8 (byte 0x{line[start]:02x} at column {start + 1}); "
            "re-save the file as UTF-8")


def _json_kind(obj) -> str:
    if isinstance(obj, list):
        return "a list"
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "a boolean"
    if isinstance(obj, (int, float)):
        return "a number"
    return "a string"


def _raise_if(path, problems: list[str]) -> None:
    if problems:
        noun = "line" if len(problems) == 1 else "lines"
        raise UserError(f"{path}: {len(problems)} {noun} could not be read", problems=problems)
