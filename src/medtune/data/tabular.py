"""One reader stack for tables (CSV, XLSX, Parquet), used by ``data validate`` (readers.py) and
``data import`` (importers.py) alike, so both accept the same files and say the same things.

A table is a header row of column names and data rows of cells. Each row keeps the number a
user sees: the CSV line where the row starts (a quoted cell may span lines), the spreadsheet
row, the Parquet row counted from 1. Problems with single rows are returned, all of them, for
the caller to report with its own; a file that cannot be read as a table at all (wrong
encoding, a semicolon-delimited export, merged cells, the data on another sheet) raises a
UserError that says what the file is and what to do.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from medtune.errors import UserError

TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")
# A clinical note can be long, but a cell of many megabytes is an unclosed quote that
# swallowed the rest of the file; the csv module's default limit (128 KiB) is too low for the first.
_CSV_FIELD_LIMIT = 16 * 1024 * 1024

Rows = list[tuple[int, dict]]


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes; UserError for a missing file, a directory or an unreadable file."""
    p = Path(path)
    if p.is_dir():
        raise UserError(f"{path}: is a directory; pass the data file inside it")
    if not p.exists():
        raise UserError(f"{path}: no such file; check the path (relative paths start from "
                        f"{Path.cwd()})")
    try:
        return p.read_bytes()
    except OSError as err:
        raise UserError(f"{path}: cannot read the file ({err.strerror}); check its permissions"
                        ) from None


def utf16_problem(path: str | Path, data: bytes) -> str | None:
    """A message when ``data`` is UTF-16 (a byte order mark, or NUL bytes between ASCII
    letters: Excel's "Unicode text" and PowerShell's default), else None."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) >= 4 and head.count(b"\x00") * 3 > len(head)):
        return (f"{path}: the file is UTF-16 encoded (as Excel's 'Unicode text' or PowerShell "
                "write it); re-save it as UTF-8 (in Excel: CSV UTF-8; in an editor: encoding UTF-8)")
    return None


def decode_utf8(path: str | Path, data: bytes) -> str:
    """The whole file as text, a UTF-8 byte order mark dropped; UserError naming the line of
    the first byte that is not UTF-8."""
    problem = utf16_problem(path, data)
    if problem:
        raise UserError(problem)
    data = data.removeprefix(b"\xef\xbb\xbf")  # as Excel writes
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        lineno = data[: err.start].count(b"\n") + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise UserError(f"{path}:{lineno}: not valid UTF-8 (byte 0x{data[err.start]:02x} at column "
                        f"{column}); re-save the file as UTF-8 (in Excel: CSV UTF-8)") from None


def read_table(path: str | Path) -> tuple[list[str], Rows, int, list[str]]:
    """Columns, ``(row number, {column: cell})`` for each non-blank row, the number of blank
    rows skipped, and the problems of single rows. Chosen by suffix (TABLE_SUFFIXES)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return read_csv_table(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise ValueError(f"not a table suffix: {suffix!r}")


def check_columns(path: str | Path, columns: list[str], where: str = "header") -> None:
    """UserError for a repeated column name: a row read into a dict would keep only the last
    of the columns, silently dropping the others."""
    seen: dict[str, int] = {}
    repeated = []
    for i, name in enumerate(columns, start=1):
        if name in seen:
            repeated.append(f"{name!r} (columns {seen[name]} and {i})")
        seen.setdefault(name, i)
    if repeated:
        raise UserError(f"{path}: the {where} names a column twice: {', '.join(repeated)}; "
                        "rename one so each column has its own name")


# --- CSV -----------------------------------------------------------------------------------
def read_csv_table(path: str | Path) -> tuple[list[str], Rows, int, list[str]]:
    text = decode_utf8(path, read_bytes(path))
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    # strict: an unclosed quote is an error rather than a cell that swallows the rest of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise UserError(f"{path}: the file is empty; it needs a header row (id,prompt,chosen,...) "
                        "and one row per example") from None
    except csv.Error as err:
        raise UserError(f"{path}:1: cannot read the header row ({_csv_error(err)})") from None
    header = [h.strip() for h in header]
    _check_delimiter(path, header)
    check_columns(path, header)

    rows: Rows = []
    problems: list[str] = []
    blank, end = 0, reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(f"{path}:{start}: cannot read this row ({_csv_error(err)})")
            break  # the csv module cannot resynchronise after a quoting error
        end = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            blank += 1
            continue
        if len(cells) != len(header):
            problems.append(f"{path}:{start}: {len(cells)} values but the header has {len(header)} "
                            "columns; quote cells that contain commas")
            continue
        rows.append((start, dict(zip(header, cells))))
    return header, rows, blank, problems


def _csv_error(err: csv.Error) -> str:
    text = str(err)
    if "unexpected end of data" in text:
        return ("a quote opened in this row is never closed, so the rest of the file would be "
                'one cell; close the quote, and write a quote inside a cell as two ("")')
    if "field larger than field limit" in text:
        return (f"a cell longer than {_CSV_FIELD_LIMIT:,} characters, usually an unclosed "
                "quote; check the quotes of this row")
    if "expected after" in text:
        return f"{text}: a quote inside a quoted cell must be doubled (\"\")"
    return text


def _check_delimiter(path, header: list[str]) -> None:
    """A header read as one column that holds semicolons or tabs: the file uses another
    delimiter (Excel writes semicolons where the decimal mark is a comma)."""
    if len(header) != 1:
        return
    for sep, name in ((";", "semicolon"), ("\t", "tab")):
        if header[0].count(sep) >= 1:
            raise UserError(f"{path}:1: the header {header[0][:60]!r} is one column holding "
                            f"{name}s: the file is {name}-separated; medtune reads comma-separated "
                            "CSV. Re-save it with commas (in Excel: CSV UTF-8 (Comma delimited))")


# --- spreadsheets ----------------------------------------------------------------------------
def _is_blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def cell_text(value):
    """A spreadsheet or Parquet cell as Example text: numbers become text (12.0 -> "12");
    None, text, objects and lists stay as they are."""
    if value is None or isinstance(value, (str, dict, list)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path) -> tuple[list[str], Rows, int, list[str]]:
    """The first sheet. Merged cells are an error (only their top-left cell holds the value,
    so the other rows would silently lose it), and so is a formula whose result the file does
    not hold (a workbook written by a program, never opened in Excel): it would read as empty."""
    from openpyxl import load_workbook

    read_bytes(path)  # a missing file or a directory, said plainly
    try:
        book = load_workbook(path)  # formulas as written; their saved values come below
    except Exception as err:  # openpyxl raises many kinds for a file that is not xlsx
        raise UserError(f"{path}: cannot open as an Excel workbook ({err}); save it as .xlsx") from None
    ws = book.worksheets[0]
    merged = sorted(str(r) for r in ws.merged_cells.ranges)
    if merged:
        raise UserError(f"{path}: sheet {ws.title!r} has merged cells {', '.join(merged)}; "
                        "unmerge them and fill every cell with its value, then import again")
    grid = [list(r) for r in ws.iter_rows()]
    if all(_is_blank(c.value for c in r) for r in grid):
        others = [s.title for s in book.worksheets[1:] if s.max_row > 1 or s.max_column > 1]
        where = f"; the data seems to be on sheet {others[0]!r}: move that sheet first" if others else ""
        raise UserError(f"{path}: the first sheet {ws.title!r} is empty{where} (medtune reads the "
                        "first sheet only)")
    values = load_workbook(path, data_only=True).worksheets[0] if _has_formulas(grid) else None

    header_cells = [c.value for c in grid[0]]
    named = [h for h in header_cells if h is not None and str(h).strip()]
    wider = next((n for n, r in enumerate(grid[1:10], start=2) if sum(c.value is not None for c in r) > 1), None)
    if len(named) <= 1 and wider is not None:
        raise UserError(f"{path}: row 1 of sheet {ws.title!r} holds {repr(str(named[0])[:60]) if named else 'nothing'}, "
                        f"and row {wider} has more cells: it looks like a title above the table. Delete the rows "
                        f"above row {wider}, so the column names are in row 1")
    header = [str(h).strip() if h is not None else "" for h in header_cells]
    check_columns(path, [h for h in header if h], where=f"header row of sheet {ws.title!r}")
    rows: Rows = []
    problems: list[str] = []
    blank = 0
    for number, cells in enumerate(grid[1:], start=2):
        row_values = []
        unreadable = False
        for c in cells:
            if c.data_type == "f":
                cached = values.cell(row=c.row, column=c.column).value if values is not None else None
                if cached is None:
                    unreadable = True
                    problems.append(f"{path}:{number}: cell {c.coordinate} holds the formula {str(c.value)[:40]} "
                                    "but no saved result; open the file in Excel and save it (or paste "
                                    "the column as values) so the results are stored")
                row_values.append(cached)
            else:
                row_values.append(c.value)
        if _is_blank(row_values) and not unreadable:
            blank += 1
            continue
        if unreadable:  # its other problems would be noise: the cell is not empty, just unread
            continue
        rows.append((number, {h: cell_text(v) for h, v in zip(header, row_values) if h}))
    return [h for h in header if h], rows, blank, problems


def _has_formulas(grid) -> bool:
    return any(c.data_type == "f" for row in grid for c in row)


def _read_parquet(path) -> tuple[list[str], Rows, int, list[str]]:
    import pyarrow.parquet as pq

    read_bytes(path)
    try:
        check_columns(path, pq.read_schema(path).names, where="schema")
        table = pq.read_table(path)
    except UserError:
        raise
    except Exception as err:  # pyarrow raises ArrowInvalid and OSError subclasses
        raise UserError(f"{path}: cannot read as Parquet ({str(err).splitlines()[0]})") from None
    rows: Rows = []
    problems: list[str] = []
    blank = 0
    for number, row in enumerate(table.to_pylist(), start=1):
        if _is_blank(row.values()):
            blank += 1
            continue
        cells = {}
        for name, value in row.items():
            if isinstance(value, (bytes, bytearray)):
                # a binary column (older writers store text so): text if it decodes, else a problem
                try:
                    value = bytes(value).decode("utf-8")
                except UnicodeDecodeError:
                    problems.append(f"{path}:{number}: {name}: binary data that is not UTF-8 text; "
                                    "store the column as text (string), not bytes")
                    cells = None  # the row is left out: its other problems would be noise
                    break
            cells[name] = cell_text(value)
        if cells is not None:
            rows.append((number, cells))
    return table.column_names, rows, blank, problems
