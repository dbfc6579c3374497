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
from pathlib import Path

from medtune.data.records import Example
from medtune.data.validate import LabelRules, load_examples
from medtune.errors import UserError
from medtune.files import write_lines_atomic

FORMATS = ("openai-sft", "openai-dpo", "trl")
PREFERENCE_FORMATS = ("openai-dpo", "trl")


def load_for_export(path: str | Path, task: LabelRules | None) -> list[Example]:
    """Read and validate ``path`` (against ``task`` when given; labels unchecked otherwise)."""
    return load_examples(path, task)


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
    write_lines_atomic(path, (json.dumps(export_record(ex, fmt, system_prompt), ensure_ascii=False) + "\n"
                              for ex in examples))
    return len(examples)
