"""Rejected-response strategies for DPO: how a less-preferred answer is made when the data
has none. Chosen per task in the study file (``rejected:``); each task has a default.

- ``wrong_label`` (the paper's, for classification and triage): the answer of a randomly
  chosen *other* label (for a multi-axis task, any other combination, so at least one axis is
  wrong).
- ``wrong_option`` (the paper's, for MedQA): a wrong answer kept with the example: one of
  MedQA's other options (``meta.options`` with ``meta.answer_idx``), or one of the task's
  plausible wrong answers (``meta.wrong_answers``: the reasoning task's related conditions,
  the summarization task's flawed summaries).
- ``weaker_model`` (the paper's, for summaries): a named model's own answer to the prompt.
- ``on_policy`` (beyond the paper): the SFT model's own wrong answers on the train prompts,
  so DPO pushes down exactly what the model gets wrong.

The first two need no model and run when the data is prepared. The other two generate, so the
study runner runs them (the named model before DPO; the SFT model after SFT, before DPO) and
hands the texts to ``fill_generated``: a generated answer is used only when the task calls it
wrong (``Task.is_wrong``); otherwise the task's default offline strategy fills in, and an
example that has neither gets no preference pair.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from medtune.data.records import Example
from medtune.errors import UserError
from medtune.tasks.base import Task

OFFLINE = ("wrong_label", "wrong_option")
GENERATED = ("weaker_model", "on_policy")
STRATEGIES = OFFLINE + GENERATED


def wrong_label(example: Example, task: Task, rng: random.Random) -> str:
    gold = task.label_dict(example.label)
    others = [answer for label, answer in task.candidates() if task.label_dict(label) != gold]
    if not others:
        raise ValueError(f"task {task.name} has a single label; wrong_label cannot make a rejected answer")
    return rng.choice(others)


def wrong_option(example: Example, task: Task | None, rng: random.Random) -> str:
    meta = example.meta or {}
    options, gold = meta.get("options"), meta.get("answer_idx")
    if isinstance(options, dict) and gold in options:
        return str(options[rng.choice(sorted(k for k in options if k != gold))]).strip()
    wrong = meta.get("wrong_answers")
    if isinstance(wrong, list) and wrong:
        return str(rng.choice(wrong))
    raise UserError(f"example {example.id}: wrong_option needs meta.options with "
                    "meta.answer_idx (MedQA's shape) or a list meta.wrong_answers; add them, give "
                    "the example a `rejected` answer, or choose another rejected strategy")


_OFFLINE_FUNCTIONS = {"wrong_label": wrong_label, "wrong_option": wrong_option}


def _rng(seed: int, example: Example) -> random.Random:
    # the choice for an example depends on the seed and its id only
    return random.Random(f"{seed}:{example.id}")


def fill_rejected(
    examples: Sequence[Example], task: Task | None, strategy: str = "wrong_label", seed: int = 0
) -> list[Example]:
    """Examples with ``rejected`` filled where it is missing by an offline strategy (present
    ones are kept; ``wrong_option`` needs no task). Deterministic: the choice for an example
    depends on the seed and its id."""
    if strategy not in OFFLINE:
        raise ValueError(f"rejected strategy {strategy!r} is not an offline one ({', '.join(OFFLINE)}); "
                         f"known: {', '.join(STRATEGIES)}")
    make = _OFFLINE_FUNCTIONS[strategy]
    return [ex if ex.rejected else ex.model_copy(update={"rejected": make(ex, task, _rng(seed, ex))})
            for ex in examples]


def fill_generated(
    examples: Sequence[Example], task: Task, texts: Mapping[str, str], seed: int = 0
) -> tuple[list[Example], dict[str, str]]:
    """Examples with ``rejected`` filled from generated ``texts`` ({example id: answer}) where
    the task calls the answer wrong, else by the task's default offline strategy; examples that
    still have none are dropped. Present rejected answers are kept. Returns the examples and
    each example's status: "generated", "fallback", "dropped" or "kept"."""
    status: dict[str, str] = {}
    out = []
    for ex in examples:
        text = texts.get(ex.id, "").strip()
        if ex.rejected:
            status[ex.id] = "kept"
            out.append(ex)
        elif text and task.is_wrong(ex, text):
            status[ex.id] = "generated"
            out.append(ex.model_copy(update={"rejected": text}))
        else:
            try:
                out += fill_rejected([ex], task, task.default_rejected, seed)
                status[ex.id] = "fallback"
            except (UserError, ValueError):
                status[ex.id] = "dropped"
    return out, status
