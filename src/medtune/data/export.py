"""Export Examples for hosted fine-tuning and other trainers: the paper's closed-model gap.

Formats (one JSON object per line):
- ``openai-sft``: OpenAI chat fine-tuning, ``{"messages": [system, user, assistant]}`` with the
  assistant turn the gold answer (chosen).
- ``openai-dpo``: OpenAI preference fine-tuning, ``{"input": {"messages": [...]},
  "preferred_output": [assistant], "non_preferred_output": [assistant]}``.
- ``trl``: TRL's conversational preference format, ``{"prompt": [...], "chosen": [assistant],
  "rejected": [assistant]}`` (what ``DPOTrainer`` reads).
The system message is the task's system prompt when a task is given and the prompt brings
none of its own.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from medtune.data.records import Example
from medtune.errors import UserError
from medtune.tasks.base import Task

FORMATS = ("openai-sft", "openai-dpo", "trl")
PREFERENCE_FORMATS = ("openai-dpo", "trl")


class _AnyLabels(Task):
    """Stands in for a task when none is given: every label (or none) is accepted."""

    name = "any"

    def validate_label(self, label):
        return None


def load_for_export(path: str | Path, task: Task | None) -> list[Example]:
    """Read and validate ``path`` (against ``task`` when given; labels unchecked otherwise)."""
    from medtune.data.validate import load_examples

    return load_examples(path, task or _AnyLabels())


def export_record(example: Example, fmt: str, system_prompt: str | None = None) -> dict:
    """One Example in format ``fmt``; a preference format needs ``rejected``."""
    messages = example.messages(system_prompt)
    chosen = [{"role": "assistant", "content": example.chosen}]
    if fmt == "openai-sft":
        return {"messages": messages + chosen}
    if fmt not in PREFERENCE_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    assert example.rejected is not None, example.id
    rejected = [{"role": "assistant", "content": example.rejected}]
    if fmt == "openai-dpo":
        return {"input": {"messages": messages}, "preferred_output": chosen,
                "non_preferred_output": rejected}
    return {"prompt": messages, "chosen": chosen, "rejected": rejected}


def export_examples(examples: list[Example], fmt: str, path: str | Path,
                    system_prompt: str | None = None, source: str = "") -> int:
    """Write every example in ``fmt`` to ``path`` atomically; the number written. UserError
    naming the records without a rejected answer when the format needs one."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt in PREFERENCE_FORMATS:
        missing = [ex.id for ex in examples if not ex.rejected]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise UserError(f"{source}: {len(missing)} records have no rejected answer "
                            f"({shown}); {fmt} needs preference pairs. Add rejected, or make "
                            "them with `medtune data synth` / a rejected strategy first.")
    _write_lines(path, (export_record(ex, fmt, system_prompt) for ex in examples))
    return len(examples)


def _write_lines(path: str | Path, objects: Iterable[dict]) -> None:
    """JSON Lines written to a temporary file beside ``path``, then renamed over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
