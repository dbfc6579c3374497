"""Read user data files into raw records, and write Examples back out.

Readers return ``(line number, raw object)`` pairs and do not validate fields: that is
``medtune.data.validate``'s job, which needs the line numbers to name every problem as
``FILE:LINE: field: what is wrong``. A reader only rejects what it cannot turn into an
object at all (bad encoding, bad JSON, a line that is not an object), and it reports every
such line at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from medtune.data.records import Example
from medtune.data.tabular import TABLE_SUFFIXES, decode_utf8, read_bytes, read_table, utf16_problem
from medtune.errors import UserError
from medtune.files import write_lines_atomic

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

SUPPORTED_SUFFIXES = (".jsonl", ".json", ".csv", ".xlsx", ".parquet")

# Table cells are always text; these optional columns mean "absent" when the cell is empty.
_TABLE_OPTIONAL = ("split", "rejected", "label", "meta")


def read_records(path: str | Path) -> list[tuple[int, dict]]:
    """Raw records of a data file; UserError listing every line that could not be read."""
    rows, problems = read_records_checked(path)
    _raise_if(path, problems)
    return rows


def read_records_checked(path: str | Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """The records that could be read and a ``FILE:LINE: what`` for every line that could
    not, so a caller can report those together with its own checks of the rest. Chosen by
    suffix: ``.jsonl``/``.json`` (one JSON object per line, or one JSON array of objects),
    ``.csv``/``.xlsx``/``.parquet`` (a header row; a ``label`` or ``meta`` cell may hold JSON)."""
    suffix = Path(path).suffix.lower()
    if Path(path).is_dir():
        read_bytes(path)  # says it is a directory
    if suffix in (".jsonl", ".json"):
        return jsonl_rows(path)
    if suffix in TABLE_SUFFIXES:
        _, cells, _, problems = read_table(path)
        records = []
        for line, row in cells:
            record, found = _table_record(row)
            if found:  # a cell that could not be read: the row's other checks would be noise
                problems += [f"{path}:{line}: {p}" for p in found]
            else:
                records.append((line, record))
        return records, problems
    raise UserError(
        f"{path}: cannot read files ending in {suffix or '(no suffix)'!r}; "
        f"supported: {', '.join(SUPPORTED_SUFFIXES)}. Convert the file or rename it."
    )


def read_jsonl(path: str | Path) -> list[tuple[int, dict]]:
    """``(line number, object)`` for each non-blank line (numbers start at 1)."""
    rows, problems = jsonl_rows(path)
    _raise_if(path, problems)
    return rows


def jsonl_rows(path: str | Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """Objects of a JSON Lines file with their line numbers, and every line's problem. A file
    that starts with ``[`` is read as one JSON array of objects (a pretty-printed .json
    export), each object numbered by the line it starts on."""
    data = read_bytes(path)
    problem = utf16_problem(path, data)
    if problem:
        raise UserError(problem)
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark, as some editors write
    if data.lstrip().startswith(b"["):
        return _json_array_rows(path, decode_utf8(path, data))
    rows: list[tuple[int, dict]] = []
    problems: list[str] = []
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            problems.append(_encoding_problem(path, lineno, raw, err))
            continue
        if not text.strip():
            continue
        obj, problem = _parse_json(text)
        if problem is None and not isinstance(obj, dict):
            problem = (f"expected a JSON object {{...}} but found {_json_kind(obj)}; "
                       "each line must hold one record object")
        if problem is not None:
            if lineno == 1 and text.strip() == "{":
                return [], [_spread_object_problem(path)]
            problems.append(f"{path}:{lineno}: {problem}")
            continue
        rows.append((lineno, obj))
    return rows, problems


def _parse_json(text: str, line: bool = True):
    """``(object, None)`` or ``(None, what is wrong)`` for one JSON text: a line of a file
    (``line``), or a table cell."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        if not line:
            return None, f"invalid JSON ({_json_message(err)})"
        return None, (f"invalid JSON ({_json_message(err)}, column {err.colno}); each line must hold one "
                      "complete JSON object (JSON Lines)")
    except RecursionError:
        return None, "JSON nested too deeply to read; flatten the record (a record needs only a few levels)"
    except ValueError as err:  # an integer of thousands of digits (Python's int limit)
        return None, f"cannot read a value ({str(err).split(';')[0]}); write long numbers as text"
    # valid UTF-8 holds no surrogates: only a \uD800-\uDFFF escape makes one, so look for one first
    where = _lone_surrogate(obj) if _SURROGATE_ESCAPE.search(text) else None
    if where is not None:
        return None, (f"{where}: holds a lone surrogate escape (e.g. \\ud800), which is not a "
                      "character and cannot be written as UTF-8; remove it or fix the escape pair")
    return obj, None


def _lone_surrogate(obj) -> str | None:
    """The field path of the first string (value or key) holding a lone UTF-16 surrogate."""
    stack = [("record", obj)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return where
        elif isinstance(value, dict):
            for k, v in value.items():
                name = k if where == "record" else f"{where}.{k}"
                if _SURROGATE.search(k):  # the key itself cannot be printed as it is
                    return name.encode("utf-8", "backslashreplace").decode("utf-8")
                stack.append((name, v))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(value))
    return None


def _json_array_rows(path, text: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """The objects of one JSON array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    rows: list[tuple[int, dict]] = []
    problems: list[str] = []
    i = text.index("[") + 1
    while True:
        i = _skip_space(text, i)
        if i < len(text) and text[i] == "]":
            break
        lineno = text.count("\n", 0, i) + 1
        try:
            obj, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as err:
            return rows, problems + [f"{path}:{err.lineno}: invalid JSON ({_json_message(err)}, column {err.colno}); "
                                     "the file starts with [ so it is read as one JSON array of objects"]
        except (RecursionError, ValueError):
            return rows, problems + [f"{path}:{lineno}: a value nested too deeply or a number too long "
                                     "to read; flatten the record, write long numbers as text"]
        where = _lone_surrogate(obj)
        if not isinstance(obj, dict):
            problems.append(f"{path}:{lineno}: expected a JSON object {{...}} in the array but found "
                            f"{_json_kind(obj)}")
        elif where is not None:
            problems.append(f"{path}:{lineno}: {where}: holds a lone surrogate escape (e.g. \\ud800); "
                            "remove it or fix the escape pair")
        else:
            rows.append((lineno, obj))
        i = _skip_space(text, i)
        if i < len(text) and text[i] == ",":
            i += 1
        elif i >= len(text) or text[i] != "]":
            lineno = text.count("\n", 0, i) + 1
            return rows, problems + [f"{path}:{lineno}: expected , or ] between the array's objects"]
    if text[i + 1:].strip():
        problems.append(f"{path}:{text.count(chr(10), 0, i) + 1}: text after the array's closing ]; "
                        "a file holds one array, or one object per line")
    return rows, problems


def _json_message(err: json.JSONDecodeError) -> str:
    """json's message without its dangling "at" ("Unterminated string starting at"): the
    column follows it in our message, which read "... at at column 3" before."""
    return err.msg.removesuffix(" at")


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _spread_object_problem(path) -> str:
    return (f"{path}:1: the first line is only {{: the record is spread over several lines "
            "(pretty-printed). Write one object per line (JSON Lines), or put the objects in a "
            "JSON array [ {...}, {...} ]")


def _table_record(cells: dict) -> tuple[dict, list[str]]:
    """A table row as a raw record: empty optional cells left out, a ``label`` or ``meta``
    cell starting with ``{`` parsed as JSON."""
    record: dict = {}
    found = []
    for name, cell in cells.items():
        if name in _TABLE_OPTIONAL and (cell is None or (isinstance(cell, str) and not cell.strip())):
            continue
        if name in ("label", "meta") and isinstance(cell, str) and cell.lstrip().startswith("{"):
            obj, problem = _parse_json(cell, line=False)
            if problem is not None:
                hint = ('; write a multi-axis label as {"axis": "value", ...}'
                        if problem.startswith("invalid JSON") and name == "label" else "")
                found.append(f"{name}: {problem}{hint}")
                continue
            record[name] = obj
        else:
            record[name] = cell
    return record, found


def write_jsonl(path: str | Path, examples: Iterable[Example]) -> None:
    """Write examples as JSON Lines atomically: a temporary file in the same directory is
    renamed over ``path``, so a crash never leaves a half-written data file. Fields that
    are None are left out."""
    write_lines_atomic(path, (json.dumps(ex.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n"
                              for ex in examples))


# --- helpers ---------------------------------------------------------------------------
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
