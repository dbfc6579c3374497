"""Check raw records against the Example schema and a task, reporting every problem at once.

Each problem reads ``FILE:LINE: field: what is wrong`` so an editor can jump to it and a user
can fix a whole file in one pass rather than one error per run. Checks, per record: missing
or empty required fields, wrong types, unknown fields, a split that is not one of
train/eval/dev/test, a label outside the task's labels (with a hint when only case or spacing
differ), a chosen answer that reads as another label, rejected equal to chosen, control
characters in text, a chat prompt that does not end with a user turn; across records:
duplicate ids, and the same prompt in two splits (leakage). ``check_token_lengths`` checks
prompts against a model's context, given any token counter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from medtune.data.records import SPLITS, Example
from medtune.errors import UserError

FIELDS = tuple(Example.model_fields)
REQUIRED = ("id", "prompt", "chosen")
# Union-typed fields: pydantic reports one error per union member, tagged in loc[1].
_UNION_EXPECTED = {
    "prompt": 'text or a list of chat messages {"role": ..., "content": ...}',
    "label": 'a label string or an object {"axis": "label", ...}',
}
_TYPE_WORDS = {
    "string_type": "expected text",
    "dict_type": "expected an object {...}",
    "list_type": "expected a list",
    "missing": "missing",
}


class LabelRules(Protocol):
    """What the label checks need from a task (``tasks.base.Task`` has all of it). data/ sits
    below tasks/, so it names these instead of importing the class; no rules (None) checks no
    labels."""

    endpoints: Sequence[Any]  # each with .name and .labels

    def validate_label(self, label: Any) -> str | None: ...

    def label_dict(self, label: Any) -> dict[str, str]: ...

    def parse(self, text: str) -> Any: ...


# C0 controls but tab, newline, carriage return; DEL; C1 controls: left by PDF and database
# exports, invisible in an editor, and tokenized into noise.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize_text(text: str) -> str:
    """Lowercase with runs of whitespace collapsed: the key for 'the same prompt'."""
    return " ".join(text.lower().split())


def validate_records(rows: list[tuple[int, dict]], task: LabelRules | None,
                     path: str) -> tuple[list[Example], list[str]]:
    """The Examples that parsed, and every problem as ``FILE:LINE: field: what is wrong``.
    Rows are ``(line number, raw record)`` as the readers return them, in file order."""
    examples: list[Example] = []
    problems: list[str] = []
    first_id_line: dict[str, int] = {}
    prompt_lines: dict[str, dict[str, int]] = {}  # normalised prompt -> {split: first line}

    for line, raw in rows:
        example, found = _check_record(raw, task)
        if example is not None:
            examples.append(example)
        if isinstance(raw, dict):
            found += _check_duplicate_id(raw, line, first_id_line)
            found += _check_leakage(raw, line, prompt_lines)
        problems += [f"{path}:{line}: {p}" for p in found]
    return examples, problems


def load_examples(path: str | Path, task: LabelRules | None,
                  lengths: tuple[Callable[[str], int], int] | None = None) -> list[Example]:
    """Read and validate a data file; UserError listing every problem if there are any: the
    lines that could not be read and the problems of the records that could, in one pass.
    ``lengths`` (a token counter, a model's context) adds ``check_token_lengths``."""
    from medtune.data.readers import read_records_checked

    rows, problems = read_records_checked(path)
    if not rows and not problems:
        raise UserError(f"{path}: no records; the file needs one example per line (JSONL) "
                        "or per row (CSV)")
    examples, found = validate_records(rows, task, str(path))
    if lengths is not None:
        found += check_token_lengths(rows, lengths[0], lengths[1], str(path))
    problems = in_line_order(problems + found)
    if problems:
        n = len(problems)
        raise UserError(f"{path}: {n} problem{'s' if n != 1 else ''}", problems=problems)
    return examples


def in_line_order(problems: list[str]) -> list[str]:
    """``FILE:LINE: ...`` problems sorted by line (stable), so a reader's and a validator's
    problems read as one list down the file."""
    def line(p: str) -> int:
        m = re.match(r".*?:(\d+): ", p)
        return int(m.group(1)) if m else 0
    return sorted(problems, key=line)


# --- one record ------------------------------------------------------------------------
def _check_record(raw: dict, task: LabelRules | None) -> tuple[Example | None, list[str]]:
    """The parsed Example (None if it does not parse) and ``field: what`` problems."""
    if not isinstance(raw, dict):
        return None, [f"record: expected a JSON object, got {_show(raw)}"]
    found: list[str] = []
    reported: set[str] = set()

    for key in raw:
        if key not in FIELDS:
            found.append(f"{key}: unknown field; allowed fields are {', '.join(FIELDS)} "
                         "(put anything else under meta)")
            reported.add(key)
    for key in REQUIRED:
        if raw.get(key) is None:
            found.append(f"{key}: missing; every record needs {', '.join(REQUIRED)}")
            reported.add(key)
        elif _is_empty(raw[key]):
            found.append(f"{key}: empty; give it some text")
            reported.add(key)
    if _is_empty(raw.get("rejected")):
        found.append("rejected: empty; leave the field out to have a strategy make one")
        reported.add("rejected")
    split = raw.get("split")
    if split is not None and split not in SPLITS:
        found.append(f"split: {_show(split)} is not one of {', '.join(SPLITS)}")
        reported.add("split")

    example = None
    try:
        example = Example.model_validate({k: v for k, v in raw.items() if k in FIELDS})
    except ValidationError as err:
        type_problems = _type_problems(err, raw, skip=reported)
        found += [p for _, p in type_problems]
        reported |= {field for field, _ in type_problems}

    if "label" not in reported and task is not None:
        label_problem = task.validate_label(raw.get("label"))
        if label_problem:
            found.append(f"label: {label_problem}{_label_hint(task, raw.get('label'))}")
        elif example is not None and example.label is not None:
            found += _check_chosen_matches_label(example, task)
    found += _check_text(raw)

    chosen, rejected = raw.get("chosen"), raw.get("rejected")
    if (isinstance(chosen, str) and isinstance(rejected, str) and chosen.strip()
            and normalize_text(chosen) == normalize_text(rejected)):
        found.append("rejected: same as chosen (ignoring case and spacing); a preference "
                     "pair needs a worse answer here, or leave rejected out")
    return example, found


def _label_hint(task: LabelRules, label) -> str:
    """'; did you mean ...' when a label differs from an allowed one only by case or spacing."""
    try:
        values = task.label_dict(label) if isinstance(label, (str, dict)) else {}
    except ValueError:
        return ""
    for ep in task.endpoints:
        value = values.get(ep.name)
        if isinstance(value, str) and value not in ep.labels:
            close = [lab for lab in ep.labels if normalize_text(lab) == normalize_text(value)]
            if close:
                return f"; did you mean {close[0]!r}?"
    return ""


def _check_chosen_matches_label(example: Example, task: LabelRules) -> list[str]:
    """A chosen answer that clearly reads as another label (parse finds exactly one label,
    and it is not the gold one) is a labelling mistake; an answer parse cannot read is fine."""
    if not task.endpoints:
        return []
    parsed = task.parse(example.chosen)
    if parsed is None or task.label_dict(parsed) == task.label_dict(example.label):
        return []
    return [f"chosen: reads as label {_show(parsed)} but label is {_show(example.label)}; "
            "fix whichever is wrong"]


def _check_text(raw: dict) -> list[str]:
    found = []
    for key in ("prompt", "chosen", "rejected"):
        value = raw.get(key)
        text = _raw_prompt_text(value) if key == "prompt" else value
        if isinstance(text, str) and (m := _CONTROL.search(text)):
            found.append(f"{key}: control character U+{ord(m.group()):04X} at position "
                         f"{m.start() + 1}; remove it (often left by a PDF or database export)")
    prompt = raw.get("prompt")
    if (isinstance(prompt, list) and prompt and isinstance(prompt[-1], dict)
            and prompt[-1].get("role") in ("assistant", "system")):
        found.append(f"prompt: the last message is from the {prompt[-1]['role']}; end the "
                     "prompt with a user message (the answer goes in chosen)")
    return found


def check_token_lengths(rows: list[tuple[int, dict]], count_tokens: Callable[[str], int],
                        max_tokens: int, path: str) -> list[str]:
    """``FILE:LINE: prompt: ...`` for every record whose prompt plus its longer answer
    (chosen or rejected) is over ``max_tokens``, counted by ``count_tokens`` (e.g.
    ``lambda s: len(tokenizer(s).input_ids)``) before the chat template, which adds a few
    more: such a record would be truncated in training and scoring."""
    problems = []
    for line, raw in rows:
        prompt = _raw_prompt_text(raw.get("prompt"))
        if prompt is None:
            continue
        answers = [a for a in (raw.get("chosen"), raw.get("rejected")) if isinstance(a, str)]
        n = count_tokens(prompt) + max((count_tokens(a) for a in answers), default=0)
        if n > max_tokens:
            problems.append(f"{path}:{line}: prompt: {n} tokens with its answer, over the "
                            f"model's context of {max_tokens}; shorten the prompt or use a "
                            "model with a longer context")
    return problems


def _type_problems(err: ValidationError, raw: dict, skip: set[str]) -> list[tuple[str, str]]:
    """``(field, 'field.path: what')`` from pydantic's errors, one line per real problem."""
    out: list[tuple[str, str]] = []
    union_done: set[str] = set()
    for e in err.errors():
        field, rest = str(e["loc"][0]), list(e["loc"][1:])
        if field in skip:
            continue
        if field in _UNION_EXPECTED:
            if field in union_done:
                continue
            value = raw.get(field)
            branch = _union_branch(value)
            member = [x for x in err.errors() if x["loc"][0] == field and len(x["loc"]) > 1
                      and str(x["loc"][1]).startswith(branch or "\0")]
            if branch is None or not member:
                out.append((field, f"{field}: expected {_UNION_EXPECTED[field]}, "
                                   f"got {_show(value)}"))
                union_done.add(field)
                continue
            if e not in member:
                continue
            rest = rest[1:]  # drop the union member tag
        out.append((field, f"{_where(field, rest)}: {_what(e)}"))
    return out


def _union_branch(value) -> str | None:
    """Which union member the user meant, by the JSON type they wrote."""
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return None


def _where(field: str, rest: list) -> str:
    return field + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)


def _what(e: dict) -> str:
    if e["type"] == "missing":
        return "missing"
    words = _TYPE_WORDS.get(e["type"])
    if words is None:
        msg = e["msg"]
        words = msg[:1].lower() + msg[1:]
    return f"{words}, got {_show(e['input'])}"


# --- across records --------------------------------------------------------------------
def _check_duplicate_id(raw: dict, line: int, first_line: dict[str, int]) -> list[str]:
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid.strip():
        return []
    if rid in first_line:
        return [f"id: {rid!r} is also the id on line {first_line[rid]}; "
                "give every record a unique id"]
    first_line[rid] = line
    return []


def _check_leakage(raw: dict, line: int, prompt_lines: dict[str, dict[str, int]]) -> list[str]:
    split, text = raw.get("split"), _raw_prompt_text(raw.get("prompt"))
    if split not in SPLITS or not text:
        return []
    seen = prompt_lines.setdefault(normalize_text(text), {})
    others = sorted((first, s) for s, first in seen.items() if s != split)
    seen.setdefault(split, line)
    if not others:
        return []
    first, other_split = others[0]
    return [f"prompt: same prompt as line {first} (split {other_split}) but this record is in "
            f"split {split}; a prompt in two splits leaks answers across them, so keep the "
            "copies in one split or drop one"]


def _raw_prompt_text(prompt) -> str | None:
    """Prompt text as Example.prompt_text would give it, from a raw (unvalidated) value."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and all(isinstance(m, dict) and isinstance(m.get("content"), str)
                                        for m in prompt):
        return "\n".join(m["content"] for m in prompt)
    return None


def _is_empty(value) -> bool:
    return (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _show(value, limit: int = 40) -> str:
    """A value as the user wrote it in JSON, shortened."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
