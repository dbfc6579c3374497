"""Served models as variants: the study file's ``baselines:`` section.

Each baseline is a model behind an OpenAI-compatible chat endpoint (vLLM, llama.cpp's server,
Ollama, a hosted API): it answers the task's test prompts (with the task's system prompt, and
``shots`` worked examples from the train split before each), its replies are read by the
task's own parser and scored like base/SFT/DPO, and it joins their paired tests and their
multiple-comparison family: "is our tuned model better than the hosted one we already pay for?"

The client is the judges' (judges/backends.py), so the egress guard applies: a baseline outside
loopback and private networks needs ``allow_external: true``. Classification answers are asked
for as structured output (judges/structured.py) where the server offers it. Every reply is
cached in study.db (``served_cache``) by baseline name and a hash of the messages and call
settings, so a rerun or a report rebuild costs no call, and a changed baseline asks again.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from medtune.config import BaselineSettings
from medtune.judges.config import JudgeSettings
from medtune.study import processes
from medtune.study.context import Context
from medtune.study.task_data import TaskData


def client_settings(b: BaselineSettings, max_tokens: int) -> JudgeSettings:
    """The judges' client settings for a baseline (one OpenAI client, one egress guard)."""
    return JudgeSettings(name=b.name, backend="openai", model=b.model, base_url=b.base_url,
                         api_key_env=b.api_key_env, allow_external=b.allow_external, seed=b.seed,
                         max_tokens=max_tokens, timeout_seconds=b.timeout_seconds, retries=b.retries,
                         backoff_seconds=b.backoff_seconds)


def check_ready(baselines: list[BaselineSettings]) -> None:
    """Every api_key_env is set (fails before training, not after)."""
    from medtune.judges.backends import api_key

    for b in baselines:
        api_key(client_settings(b, 1))


def few_shot(train: list[Any], k: int, seed: int) -> list[Any]:
    """k train examples, the same for every test prompt (seeded by the study's seed)."""
    return random.Random(seed).sample(train, min(k, len(train)))


def messages_for(task: Any, example: Any, shots: list[Any]) -> list[dict[str, str]]:
    """[system, (user, assistant) per shot, user]: the test prompt as base/SFT/DPO saw it,
    after the worked examples."""
    msgs = example.messages(task.system_prompt)
    head = msgs[:1] if msgs[0]["role"] == "system" else []
    turns: list[dict[str, str]] = []
    for s in shots:
        turns += [m for m in s.messages() if m["role"] != "system"] + [{"role": "assistant", "content": s.chosen}]
    return head + turns + msgs[len(head):]


def input_hash(settings: JudgeSettings, messages: list[dict[str, str]], response_format: dict | None) -> str:
    payload = {"messages": messages, "model": settings.model, "seed": settings.seed,
               "max_tokens": settings.max_tokens, "temperature": 0, "response_format": response_format}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def evaluate_baseline(store: Any, study: Any, td: TaskData, b: BaselineSettings, backend: Any = None) -> dict[str, Any]:
    """Answer the task's test prompts with baseline ``b`` (cached calls), store the predictions
    under its name, and record (meta ``baseline/<task>/<name>``) how its replies came back."""
    from medtune.evaluate.predict import Prediction
    from medtune.evaluate.scoring import prediction_rows
    from medtune.judges.backends import make_backend
    from medtune.judges.jury import call_with_retries
    from medtune.judges.structured import StructuredCaller, answer_text, choice_format

    task, examples = td.task, td.splits["test"]
    settings = client_settings(b, b.max_tokens or study.evaluation.max_new_tokens or task.max_new_tokens)
    fmt = choice_format(task.name, [a for _, a in task.candidates()]) if b.structured and task.endpoints else None
    shots = few_shot(td.splits["train"], b.shots, study.seed)
    caller, preds, structured_replies = StructuredCaller(), [], 0
    for ex in examples:
        messages = messages_for(task, ex, shots)
        key = input_hash(settings, messages, fmt)
        row = store.served_cached(b.name, key)
        if row is not None:
            raw, structured = row["raw"], bool(row["structured"])
        else:
            backend = backend or make_backend(settings)
            raw, structured = caller.call(lambda f: call_with_retries(backend, messages, settings, response_format=f), fmt)
            store.cache_served(b.name, key, raw, structured)
        text = (answer_text(raw) if structured else raw).strip()
        structured_replies += structured
        preds.append(Prediction(ex.id, task.parse(text) if task.endpoints else None, text))
    store.save_predictions(task.name, b.name, "test", prediction_rows(task, examples, preds))
    summary = {"model": b.model, "shots": b.shots, "n": len(preds),
               "structured_requested": fmt is not None, "structured_replies": structured_replies,
               "unparseable_rate": (sum(p.label is None for p in preds) / len(preds)
                                    if task.endpoints and preds else None)}
    store.set_meta({f"baseline/{task.name}/{b.name}": summary})
    return summary


def run_baselines(ctx: Context, td: TaskData) -> None:
    """Every baseline of the study on one task's test set, on rank 0 (no model of the study
    runs here: the served models answer)."""
    if not ctx.study.baselines:
        return

    def on_main() -> None:
        for b in ctx.study.baselines:
            ctx.progress.stage(f"{td.task.name}: baseline {b.name} ({b.model})", 1)
            evaluate_baseline(ctx.store.local, ctx.study, td, b)
            ctx.progress.advance(1)

    processes.on_main(on_main)


def study_pairs(study: Any, variants: tuple[str, ...], pairs: tuple[tuple[str, str], ...]
                ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The study's variants and compared pairs with its baselines added: each baseline against
    base, SFT and DPO (written "baseline vs DPO"), in the one family the correction covers."""
    names = tuple(b.name for b in study.baselines)
    return variants + names, pairs + tuple((v, n) for n in names for v in variants)
