"""Judges ask for a verdict constrained to the rubric's words (response_format with a JSON
schema), read the structured reply strictly, and fall back to plain text where the server
refuses; the report gives each judge's unparseable rate."""

from __future__ import annotations

import pytest

from medtune.judges import EQUIVALENCE, SUMMARY_LIKERT, Item, JudgeSettings, judge_items, judge_predictions
from medtune.judges.structured import choice_format
from medtune.report.graded import unparseable_rates
from medtune.store import Store


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "study.db")
    yield s
    s.close()


def judge(url, **kw):
    return JudgeSettings(name="j", backend="openai", model="m", base_url=url, backoff_seconds=0, **kw)


ITEMS = [Item("e1", "q1", "a1", "g"), Item("e2", "q2", "a2", "g"), Item("e3", "q3", "a3", "g")]
# What a small model said to the equivalence question, unconstrained (the llama.cpp run)
FREE = {"a1": "Yes", "a2": "No, the answer is no.", "a3": "incorrect"}


def reply(text: str) -> str:
    return next(v for k, v in FREE.items() if f"\n{k}" in text)


def test_constrained_server_gives_parseable_verdicts(store, chat_server):
    # A server that constrains decoding can only produce the schema's words: simulate that by
    # answering the rubric's words, which the server wraps as {"answer": ...}.
    server = chat_server({"m": lambda t: "correct" if "\na1" in t else "incorrect"}, structured="honour")
    got = judge_items(store, judge(server.url), EQUIVALENCE, ITEMS)
    assert got == {"e1": True, "e2": False, "e3": False}
    assert server.calls[0]["response_format"] == choice_format("equivalence", ["correct", "incorrect"])
    assert store.conn.execute("SELECT raw FROM judge_cache LIMIT 1").fetchone()[0].startswith('{"answer": ')


def test_refusing_server_is_asked_in_text_and_parsed_strictly(store, chat_server):
    server = chat_server({"m": reply}, structured="refuse")
    got = judge_items(store, judge(server.url), EQUIVALENCE, ITEMS)
    assert got == {"e1": None, "e2": None, "e3": False}  # "Yes" is not a verdict, never guessed
    assert len(server.calls) == 4 and sum("response_format" in c for c in server.calls) == 1


def test_structured_off_sends_no_response_format(store, chat_server):
    server = chat_server({"m": lambda t: "3"})
    assert judge_items(store, judge(server.url, structured=False), SUMMARY_LIKERT, ITEMS[:1]) == {"e1": 3}
    assert "response_format" not in server.calls[0]
    assert SUMMARY_LIKERT.words == ["1", "2", "3", "4", "5"]


def test_unparseable_rate_per_judge(store, chat_server):
    server = chat_server({"m": reply})  # ignores response_format: text replies, parsed strictly
    store.save_prompts("t", {"e1": "q1", "e2": "q2", "e3": "q3"})
    for variant in ("base", "sft"):
        store.save_predictions("t", variant, "test", [
            {"example_id": e, "gold": "g", "predicted": None, "text": a} for e, a in (("e1", "a1"), ("e2", "a2"), ("e3", "a3"))])
    per_variant = judge_predictions(store, "t", EQUIVALENCE, [judge(server.url)], variants=("base", "sft"))
    assert unparseable_rates(per_variant) == {"j": pytest.approx(4 / 6)}
