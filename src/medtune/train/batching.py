"""Examples -> token groups (one prompt, its completions) for training and scoring."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from medtune.data.records import Example
from medtune.errors import UserError
from medtune.models.chat import encode_completion, encode_prompt
from medtune.tasks.base import Task
from medtune.train.packing import Group


def make_groups(
    tokenizer: Any,
    task: Task,
    examples: Sequence[Example],
    answers: Callable[[Example], list[str]],
    max_length: int,
) -> list[Group]:
    """One group per example: its prompt (chat template applied, with the task's system
    prompt) followed by each answer that ``answers`` gives for it.

    A prompt plus its longest answer longer than ``max_length`` tokens is an error, never a
    silent truncation: cutting a clinical note can remove the very finding the label rests on."""
    groups = []
    too_long = []
    for ex in examples:
        messages = ex.messages(task.system_prompt)
        prompt = encode_prompt(tokenizer, messages)
        completions = [encode_completion(tokenizer, messages, a) for a in answers(ex)]
        longest = len(prompt) + max(len(c) for c in completions)
        if longest > max_length:
            too_long.append(f"example {ex.id}: {longest} tokens")
        groups.append(Group(prompt, completions))
    if too_long:
        raise UserError(
            f"{len(too_long)} examples are longer than max_length={max_length} tokens; "
            "raise training.max_length in the study file (within the model's context) "
            "or shorten the prompts",
            problems=too_long[:20],
        )
    return groups


def sft_groups(tokenizer: Any, task: Task, examples: Sequence[Example], max_length: int) -> list[Group]:
    return make_groups(tokenizer, task, examples, lambda ex: [ex.chosen], max_length)


def dpo_groups(tokenizer: Any, task: Task, examples: Sequence[Example], max_length: int) -> list[Group]:
    missing = [ex.id for ex in examples if not ex.rejected]
    if missing:
        raise UserError(
            f"{len(missing)} examples have no rejected answer for DPO (first: {missing[0]}); "
            "add a `rejected` field or set a rejected strategy for the task in the study file"
        )
    return make_groups(tokenizer, task, examples, lambda ex: [ex.chosen, ex.rejected], max_length)
