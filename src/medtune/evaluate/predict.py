"""Predictions: by label log-likelihood or by generation + parsing (classification), by
generation alone (open-ended tasks: the task scores the text, evaluate/scoring.py).

Label log-likelihood (the default): each allowed answer is scored as a completion of the
prompt (summed log-probs of its tokens, end-of-turn marker included, nats) and the best one is
the prediction. All answers of one example share one prompt computation (packing.py). Summed,
not length-normalised, log-probs: this is the likelihood of the whole answer, which is what a
greedy decoder would be choosing between.

Generation: greedy decoding, then ``task.parse``; an answer that cannot be read is a parse
failure (prediction None), reported as a rate and counted as wrong, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from medtune.data.records import Example
from medtune.tasks.base import Label, Task
from medtune.train.batching import make_groups
from medtune.train import precision
from medtune.train.packing import Group, sequence_logprobs


# (groups, on_groups) -> summed log-probs; on_groups(n) is told after each batch of n groups
Scorer = Callable[[list[Group], Callable[[int], None] | None], torch.Tensor]


@dataclass
class Prediction:
    example_id: str
    label: Label | None  # None: the generated answer could not be parsed
    text: str  # the answer text chosen or generated
    scores: list[float] | None = None  # per candidate, label log-likelihood mode only


def predict_by_likelihood(
    model: Any, tokenizer: Any, task: Task, examples: Sequence[Example], max_length: int, pack_tokens: int,
    dtype: str = "fp32", scorer: Scorer | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> list[Prediction]:
    """``scorer(groups)``: the summed log-probs of every candidate (default: a forward of
    ``model`` in ``dtype``; the study passes one that reuses the base model's hidden states,
    evaluate/prefix.py). ``on_batch(n)``: called as each packed batch of ``n`` examples is
    scored."""
    candidates = task.candidates()
    answers = [a for _, a in candidates]
    groups = make_groups(tokenizer, task, examples, lambda ex: answers, max_length)
    if scorer is None:
        # one group per example, so the groups scored are the examples scored
        with precision.autocast(dtype, model.device):
            scores = sequence_logprobs(model, groups, pack_tokens, on_groups=on_batch)
    else:
        scores = scorer(groups, on_batch)
    scores = scores.view(len(examples), len(candidates))
    best = scores.argmax(dim=1).tolist()
    return [
        Prediction(ex.id, candidates[b][0], candidates[b][1], [round(float(s), 4) for s in row])
        for ex, b, row in zip(examples, best, scores)
    ]


@torch.no_grad()
def predict_by_generation(
    model: Any,
    tokenizer: Any,
    task: Task,
    examples: Sequence[Example],
    max_new_tokens: int = 32,
    batch_size: int = 16,
    dtype: str = "fp32",
    on_batch: Callable[[int], None] | None = None,
) -> list[Prediction]:
    """Greedy answers, ``batch_size`` prompts at a time with the KV cache. Prompts are batched
    by length (each batch is left-padded to its longest prompt, so similar lengths waste
    the least), and the predictions come back in the examples' order. ``on_batch(n)`` after
    each batch."""
    from medtune.models.chat import render_prompt

    model.eval()
    tokenizer.padding_side = "left"  # decoder-only generation continues from the right edge
    texts = [render_prompt(tokenizer, ex.messages(task.system_prompt)) for ex in examples]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    order = sorted(range(len(examples)), key=lambda i: (lengths[i], i))
    out: dict[int, Prediction] = {}
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        enc = tokenizer([texts[i] for i in chunk], return_tensors="pt", padding=True,
                        add_special_tokens=False).to(model.device)
        with precision.autocast(dtype, model.device):
            generated = model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
                use_cache=True,
            )
        for i, row in zip(chunk, generated[:, enc["input_ids"].shape[1] :]):
            text = tokenizer.decode(row, skip_special_tokens=True).strip()
            out[i] = Prediction(examples[i].id, task.parse(text) if task.endpoints else None, text)
        if on_batch is not None:
            on_batch(len(chunk))
    return [out[i] for i in range(len(examples))]


def predict(
    model: Any,
    tokenizer: Any,
    task: Task,
    examples: Sequence[Example],
    mode: str,
    max_length: int,
    pack_tokens: int,
    max_new_tokens: int | None = None,
    dtype: str = "fp32",
    scorer: Scorer | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> list[Prediction]:
    """``mode`` applies to classification; an open-ended task is always generated.
    ``max_new_tokens`` None: the task's own budget. ``dtype``: the compute type (train/precision.py).
    ``on_batch(n)``: ``n`` more examples done."""
    if mode == "generate" or task.open_ended:
        return predict_by_generation(model, tokenizer, task, examples, max_new_tokens or task.max_new_tokens,
                                     dtype=dtype, on_batch=on_batch)
    if mode == "likelihood":
        return predict_by_likelihood(model, tokenizer, task, examples, max_length, pack_tokens, dtype, scorer,
                                     on_batch)
    raise ValueError(f"unknown evaluation mode {mode!r}")
