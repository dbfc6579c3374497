"""Read a YAML file a user wrote, strictly: a key given twice in one mapping is an error naming
the key and both lines. PyYAML keeps the last value silently, so a study whose ``sft:`` section
appears twice would run with half of what its author wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from medtune.errors import UserError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that records every duplicated mapping key instead of overwriting it."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []  # (line, what)

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                hash(key)
            except (TypeError, yaml.YAMLError):
                continue  # an unhashable key: the base class reports it
            line = key_node.start_mark.line + 1
            if key in seen:
                self.duplicates.append((line, f"key {key!r} is given twice (first on line {seen[key]}); "
                                              "keep one (the second would silently replace the first)"))
            else:
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        try:
            return super().construct_yaml_int(node)
        except ValueError as err:  # thousands of digits: Python's int-from-text limit
            raise yaml.constructor.ConstructorError(None, None, f"a number too long to read ({len(node.value)} "
                                                    "characters); write it as text in quotes", node.start_mark) from err


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def load_yaml_text(text: str, source: str) -> Any:
    """The YAML document in ``text``; UserError naming ``source`` and the line for bad syntax
    or a duplicated key."""
    loader = None
    try:
        loader = _StrictLoader(text)  # its reader already rejects control characters
        data = loader.get_single_data()
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        raise UserError(f"{source}:{line}: character U+{err.character:04X} is not allowed in YAML; remove it") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise UserError(f"{where}: not valid YAML ({getattr(err, 'problem', None) or err}); fix the syntax "
                        "there") from None
    except RecursionError:
        raise UserError(f"{source}: nested too deeply to read; a study file needs only a few levels") from None
    finally:
        if loader is not None:
            loader.dispose()
    if loader.duplicates:
        raise UserError(f"{source}: {len(loader.duplicates)} duplicated key(s)",
                        [f"{source}:{line}: {what}" for line, what in sorted(loader.duplicates)])
    return data


def read_yaml_file(path: str | Path, what: str = "file") -> Any:
    """The YAML document of a file (UTF-8, a byte order mark allowed); UserError for a
    missing file, a folder, an unreadable file, a file that is not UTF-8, or bad YAML."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give the {what} inside it (e.g. {path / 'study.yaml'})")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such {what}; check the path (examples/quick.yaml is one)") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read the {what} ({err.strerror})") from None
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[err.start]:02x}); re-save the "
                        f"{what} as UTF-8") from None
    return load_yaml_text(text, str(path))
