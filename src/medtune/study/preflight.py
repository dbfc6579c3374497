"""Everything about a study that can be checked before a model computes anything: the data of
every task (read, validated, split to the sizes asked), the model (found, its context), every
example it will use against ``training.max_length``, and the judges' readiness.

``study validate`` runs exactly this, without loading the model's weights; ``study run`` runs it
before its first stage (and again in the parent before relaunching on several processes), so a
study that validates does not stop on its input after minutes of evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medtune.config import Study
from medtune.errors import UserError
from medtune.study.task_data import TaskData


@dataclass
class Checked:
    """What the preflight found, for ``study validate`` to print."""

    examples: dict[str, int]  # task -> examples the study uses
    context: int | None  # the model's context, tokens
    longest: int  # the longest example (prompt, template and answer), tokens


def preflight(study: Study, study_file: Path | None, log: Callable[[str], None] = lambda m: None) -> Checked:
    """Run every check; UserError (exit 2) naming the file and line or the key on the first
    kind of problem found, with every instance of it."""
    from medtune.models.info import model_info
    from medtune.study.task_data import prepare_data

    base_dir = study_file.parent if study_file else Path.cwd()
    data = {}
    for i, entry in enumerate(study.tasks):
        log(f"tasks.{i} ({entry.task}): reading and checking its data")
        data[entry.task] = prepare_data(entry, study.seed, base_dir, key=f"tasks.{i}")
    info = model_info(study.model, log=log, revision=study.revision, chat_template=study.chat_template)
    longest = check_lengths(study, data, info.tokenizer, info.context)
    if study.judges is not None:
        from medtune.judges.stage import check_ready

        check_ready(study.judges)
    if study.baselines:  # a missing key fails now, not after training
        from medtune.study.baselines import check_ready as baselines_ready

        baselines_ready(study.baselines)
    return Checked({t: sum(map(len, td.splits.values())) for t, td in data.items()}, info.context, longest)


def check_lengths(study: Study, data: dict[str, Any], tokenizer: Any, context: int | None) -> int:
    """The longest sequence any stage will build (tokens). UserError when ``training.max_length``
    is beyond the model's context, or when examples are longer than ``training.max_length``:
    the message gives how many, and the longest, so one edit of the study file fixes it.

    Counted as the stages build them (train/batching.py): the prompt with the chat template
    and the task's system prompt, plus the longest answer scored after it. Train and eval
    splits: chosen, and rejected when DPO runs; dev and test scored by likelihood: each label
    answer. Generated evaluations do not use max_length, and rejected answers a model writes
    (weaker_model, on_policy) do not exist yet: for those, ``_check_generation`` checks that
    the prompt and the generation budget fit the model's context."""
    max_length = study.training.max_length
    if context is not None and max_length > context:
        raise UserError(f"training.max_length: {max_length} is beyond the context of model {study.model} "
                        f"({context} tokens); set it to {context} or less")
    counted, too_long = [], []
    for i, entry in enumerate(study.tasks):
        for ex_id, split, n in _lengths(study, data[entry.task], tokenizer):
            counted.append(n)
            if n > max_length:
                too_long.append((n, f"tasks.{i} ({entry.task})", ex_id, split))
    if too_long:
        too_long.sort(key=lambda t: -t[0])
        n, where, ex_id, split = too_long[0]
        fits = f" (the model's context is {context})" if context else ""
        raise UserError(
            f"training.max_length: {len(too_long)} of {len(counted)} examples are longer than "
            f"{max_length} tokens (prompt with chat template, and its longest answer); the longest is "
            f"{n} tokens ({where}, example {ex_id}, split {split}). Set training.max_length to at least "
            f"{n}{fits}, or shorten or leave out the long examples",
            problems=[f"{w}: example {e} (split {s}): {k} tokens" for k, w, e, s in too_long],
        )
    _check_generation(study, data, tokenizer, context)
    return max(counted, default=0)


def _check_generation(study: Study, data: dict[str, Any], tokenizer: Any, context: int | None) -> None:
    """Generated answers need room in the model's context after the prompt: the generation
    budget (``evaluation.max_new_tokens``, or the task's own). Checked for the evaluations that
    generate (open-ended tasks, or ``evaluation.mode: generate``) and for the rejected answers
    a model writes (weaker_model, on_policy)."""
    from medtune.models.chat import encode_prompt

    if context is None:
        return
    over = []
    for i, entry in enumerate(study.tasks):
        td = data[entry.task]
        budget = study.evaluation.max_new_tokens or td.task.max_new_tokens
        splits = ["dev", "test"] if study.evaluation.mode == "generate" or td.task.open_ended else []
        if study.dpo.enabled and td.rejected in ("weaker_model", "on_policy"):
            splits += ["train", "eval"]
        for split in splits:
            for ex in td.splits.get(split, []):
                n = len(encode_prompt(tokenizer, ex.messages(td.task.system_prompt))) + budget
                if n > context:
                    over.append((n, f"tasks.{i} ({entry.task}): example {ex.id} (split {split}): {n} tokens"))
    if over:
        over.sort(key=lambda t: -t[0])
        raise UserError(f"model: {len(over)} prompts with their generation budget do not fit the context of "
                        f"{study.model} ({context} tokens); the longest needs {over[0][0]}. Lower "
                        "evaluation.max_new_tokens, shorten those prompts, or use a model with a longer context",
                        problems=[text for _, text in over])


def _lengths(study: Study, td: TaskData, tokenizer: Any):
    """``(example id, split, tokens)`` of every example a stage will turn into a sequence."""
    from medtune.models.chat import encode_completion, encode_prompt

    task = td.task
    scored = study.evaluation.mode == "likelihood" and not task.open_ended
    labels = [answer for _, answer in task.candidates()] if scored else []
    for split, examples in td.splits.items():
        for ex in examples:
            if split in ("train", "eval"):
                answers = [ex.chosen] + ([ex.rejected] if study.dpo.enabled and ex.rejected else [])
            else:
                answers = labels
            if not answers:
                continue
            messages = ex.messages(task.system_prompt)
            prompt = len(encode_prompt(tokenizer, messages))
            yield ex.id, split, prompt + max(len(encode_completion(tokenizer, messages, a)) for a in answers)
