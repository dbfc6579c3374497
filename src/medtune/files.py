"""One way to write a file that holds study data: atomically, durably, and private by default.

Every file medtune writes may hold patient text (data, predictions, reports, exports), so:
- a new file is created owner-only (0600) unless the caller asks for another mode;
- a file that replaces an existing one keeps that file's mode (a user who shared it on purpose
  keeps it shared);
- the bytes go to a temporary file in the same folder, are fsynced, and renamed over the
  destination, then the folder is fsynced: a crash leaves the old file or the new one, never a
  half-written one, and no fixed temporary name is shared by two writers.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_mkdir(path: str | Path) -> Path:
    """Create ``path`` (and its parents) owner-only where they are new; existing folders keep
    their mode."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        # mkdir's mode is masked by the umask, and parents get the default mode: set the leaf.
        os.chmod(path, PRIVATE_DIR)
    return path


def check_writable(path: str | Path, option: str = "--out", folder: bool = False) -> None:
    """UserError (exit 2) unless a file (or with ``folder``, a folder) can be written at
    ``path``: checked before any work, so a long command does not fail at its end and a failed
    command writes nothing."""
    from medtune.errors import UserError

    path = Path(path)
    if folder:
        if path.exists() and not path.is_dir():
            raise UserError(f"{option} {path}: is a file; give a folder (it is created if missing)")
        if path.is_dir():
            path = path / "study.db"  # the probe below then tests the folder itself
    elif path.is_dir():
        raise UserError(f"{option} {path}: is a directory; give a file name, e.g. {path / 'data.jsonl'}")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the nearest folder that exists: atomic_path creates the rest
    if not parent.is_dir():
        raise UserError(f"{option} {path}: {parent} is a file, not a folder; choose another path")
    try:  # a real attempt: permissions, ACLs and read-only mounts all answer it
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".medtune-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UserError(f"{option} {path}: cannot write in {parent} ({err.strerror}); choose a folder "
                        "you can write to") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"{option} {path}: the file exists and is read-only; choose another name or make it "
                        "writable")


def fsync_dir(path: str | Path) -> None:
    """Make a rename or a new entry in ``path`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _mode_for(path: Path, mode: int | None) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return PRIVATE_FILE if mode is None else mode


@contextlib.contextmanager
def atomic_path(path: str | Path, *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without an error, the file
    written there is fsynced, given its mode and renamed over ``path``. On an error it is
    removed and ``path`` is untouched.

    ``mode`` applies to a new file only (default 0600); a replaced file keeps its own mode.
    """
    path = Path(path)
    if not path.parent.exists():
        private_mkdir(path.parent)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path, mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomic(path: str | Path, content: str | bytes, *, mode: int | None = None) -> None:
    """Write ``content`` (text as UTF-8 with ``\\n`` line ends, or bytes) to ``path`` atomically."""
    with atomic_path(path, mode=mode) as tmp:
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(content)


def write_lines_atomic(path: str | Path, lines: Iterable[str], *, mode: int | None = None) -> None:
    """Write text lines (each ending in ``\\n`` as given) to ``path`` atomically, streaming."""
    with atomic_path(path, mode=mode) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(lines)
