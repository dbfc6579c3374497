"""Judging with a cache, retries and a jury.

Every call is cached in study.db by (judge name, rubric, hash of the rendered messages and
call settings), so a resumed study never pays for a verdict twice. An unparseable reply is
cached as such (verdict NULL) and counts as no vote; it is never guessed.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from medtune.errors import UserError
from medtune.stats.agreement import Agreement, pairwise
from medtune.judges.backends import Backend, TransientError, make_backend
from medtune.judges.config import JudgeSettings
from medtune.judges.rubrics import Rubric, Verdict
from medtune.variants import VARIANTS


@dataclass(frozen=True)
class Item:
    """One thing to judge: a test example's prompt, a model's output, the gold answer."""

    example_id: str
    prompt: str
    output: str
    gold: str | None = None


@dataclass
class JuryResult:
    """verdicts: {judge: {example_id: verdict or None}}; final: {example_id: aggregate or None}
    (mean for Likert, majority for binary, None with no parseable vote or a tied vote);
    agreement: {"a|b": Agreement} over the examples both judges parsed."""

    verdicts: dict[str, dict[str, Verdict | None]]
    final: dict[str, float | bool | None]
    agreement: dict[str, Agreement] = field(default_factory=dict)


def input_hash(settings: JudgeSettings, messages: list[dict[str, str]]) -> str:
    payload = {"messages": messages, "model": settings.model, "seed": settings.seed,
               "max_tokens": settings.max_tokens, "temperature": 0}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def call_with_retries(backend: Backend, messages: list[dict[str, str]], settings: JudgeSettings,
                      sleep: Callable[[float], None] = time.sleep, response_format: dict | None = None) -> str:
    """Retry transient failures with exponential backoff (backoff_seconds, then x2 each)."""
    for attempt in range(settings.retries + 1):
        try:
            if response_format is not None:  # structured.py; backends without it are called as before
                return backend.complete(messages, response_format=response_format)
            return backend.complete(messages)
        except TransientError as err:
            if attempt == settings.retries:
                raise UserError(f"judge {settings.name!r} failed {attempt + 1} times, last: {err}; "
                                "check that the server is up, then run again (verdicts so far "
                                "are cached)") from None
            sleep(settings.backoff_seconds * 2**attempt)
    raise AssertionError("unreachable")


def judge_items(store: Any, settings: JudgeSettings, rubric: Rubric, items: Sequence[Item],
                backend: Backend | None = None, call: bool = True) -> dict[str, Verdict | None]:
    """{example_id: verdict or None (unparseable)}; the backend is built only on a cache miss.
    With ``call=False`` nothing is called: an item not in the cache is left out (reports read
    verdicts this way and never run a model)."""
    from medtune.judges.structured import StructuredCaller, answer_text, choice_format

    out: dict[str, Verdict | None] = {}
    caller = StructuredCaller()
    fmt = choice_format(rubric.name, rubric.words) if settings.structured else None
    for item in items:
        messages = rubric.messages(item.prompt, item.output, item.gold)
        key = input_hash(settings, messages)
        row = store.judge_cached(settings.name, rubric.name, key)
        if row is not None:
            out[item.example_id] = None if row["verdict"] is None else json.loads(row["verdict"])
            continue
        if not call:
            continue
        backend = backend or make_backend(settings)
        # A verdict constrained to the rubric's words where the server offers it (structured.py).
        # The cache key leaves the format out on purpose: the question is the same, so verdicts
        # cached before structured output existed stay valid.
        raw, structured = caller.call(
            lambda f: call_with_retries(backend, messages, settings, response_format=f), fmt)
        verdict = rubric.parse(answer_text(raw) if structured else raw)
        store.cache_judgement(settings.name, rubric.name, key, raw, verdict)
        out[item.example_id] = verdict
    return out


def aggregate(rubric: Rubric, votes: Sequence[Verdict | None], likert: str = "mean") -> float | bool | None:
    """Likert: the mean (or median) of the parsed scores; binary: the majority, None on a tie."""
    valid = [v for v in votes if v is not None]
    if not valid:
        return None
    if rubric.kind == "likert":
        return float(statistics.median(valid)) if likert == "median" else sum(valid) / len(valid)
    yes = sum(bool(v) for v in valid)
    no = len(valid) - yes
    return None if yes == no else yes > no


def jury_agreement(rubric: Rubric, verdicts: dict[str, dict[str, Verdict | None]]) -> dict[str, Agreement]:
    """Pairwise agreement between judges; weighted (quadratic) kappa for Likert."""
    return pairwise(verdicts, rubric.choices, rubric.kappa_weights)


def run_jury(store: Any, judges: Sequence[JudgeSettings], rubric: Rubric, items: Sequence[Item],
             backends: dict[str, Backend] | None = None, likert: str = "mean",
             call: bool = True) -> JuryResult:
    """Every judge judges every item; verdicts are aggregated per example (``call=False``:
    cached verdicts only, see ``judge_items``)."""
    backends = backends or {}
    verdicts = {j.name: judge_items(store, j, rubric, items, backends.get(j.name), call) for j in judges}
    final = {it.example_id: aggregate(rubric, [verdicts[j.name].get(it.example_id) for j in judges], likert)
             for it in items}
    return JuryResult(verdicts=verdicts, final=final, agreement=jury_agreement(rubric, verdicts))


def judge_predictions(store: Any, task: str, rubric: Rubric, judges: Sequence[JudgeSettings],
                      variants: Sequence[str] = VARIANTS, split: str = "test",
                      backends: dict[str, Backend] | None = None, likert: str = "mean",
                      call: bool = True) -> dict[str, JuryResult]:
    """Run the jury on a task's saved predictions, per variant. Prompts come from
    ``store.prompts(task)`` (save them with ``store.save_prompts``); the gold answer is the
    prediction's ``gold`` (a JSON string label). A variant with no predictions is skipped."""
    prompts = store.prompts(task)
    out = {}
    for variant in variants:
        rows = store.predictions(task, variant, split)
        if not rows:
            continue
        missing = [r["example_id"] for r in rows if r["example_id"] not in prompts]
        if missing:
            raise UserError(f"task {task!r}: no stored prompt for {len(missing)} examples "
                            f"(first {missing[0]!r}); the study must save prompts before judging")
        items = [Item(r["example_id"], prompts[r["example_id"]], r["text"],
                      r["gold"] if isinstance(r["gold"], str) else json.dumps(r["gold"])) for r in rows]
        out[variant] = run_jury(store, judges, rubric, items, backends, likert, call)
    return out


def jury_outcomes(results: dict[str, JuryResult]) -> dict[str, dict[str, float]]:
    """{variant: {example_id: value}} like ``grading.outcomes``: Likert means, binary as 1.0 or
    0.0; examples without a verdict (all unparseable, or a tied vote) are left out, so pair
    variants on the example ids they share."""
    return {v: {e: float(x) for e, x in r.final.items() if x is not None} for v, r in results.items()}
