"""The one atomic-write helper: private new files, replaced files keep their mode, no debris."""

import os
import stat

import pytest

from medtune.files import atomic_path, private_mkdir, write_atomic, write_lines_atomic


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_owner_only(tmp_path):
    write_atomic(tmp_path / "notes.jsonl", "patient text\n")
    assert _mode(tmp_path / "notes.jsonl") == 0o600
    assert (tmp_path / "notes.jsonl").read_text() == "patient text\n"


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "shared.md"
    path.write_text("old")
    os.chmod(path, 0o640)
    write_lines_atomic(path, ["a\n", "b\n"])
    assert _mode(path) == 0o640
    assert path.read_text() == "a\nb\n"


def test_a_requested_mode_applies_to_new_files_only(tmp_path):
    write_atomic(tmp_path / "r.html", b"<p>", mode=0o644)
    assert _mode(tmp_path / "r.html") == 0o644


def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("old\n")

    def lines():
        yield "new\n"
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_lines_atomic(path, lines())
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]


def test_atomic_path_creates_a_private_parent(tmp_path):
    with atomic_path(tmp_path / "new" / "x.bin") as tmp:
        tmp.write_bytes(b"1")
    assert _mode(tmp_path / "new") == 0o700
    assert private_mkdir(tmp_path / "new") == tmp_path / "new"
