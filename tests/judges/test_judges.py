"""Judges against a real OpenAI-compatible HTTP server on loopback (http.server in a thread),
the cache, retries, strict parsing, the jury, and the egress guard."""

from __future__ import annotations

import pytest

from medtune.errors import UserError
from medtune.judges import EQUIVALENCE, SUMMARY_LIKERT, Item, JudgeSettings, aggregate, judge_items, run_jury
from medtune.judges.egress import check_egress
from medtune.store import Store


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "study.db")
    yield s
    s.close()


def judge(name, url, model="m", **kw):
    return JudgeSettings(name=name, backend="openai", model=model, base_url=url, backoff_seconds=0, **kw)


ITEMS = [Item("e1", "note one", "summary one"), Item("e2", "note two", "summary two"),
         Item("e3", "note three", "summary three")]


def test_openai_judge_scores_strictly_and_caches(store, chat_server):
    replies = {"one": "4", "two": "Score: 5", "three": "4 or 5"}
    server = chat_server({"m": lambda text: next(v for k, v in replies.items() if f"summary {k}" in text)})
    settings = judge("gpt", server.url)
    got = judge_items(store, settings, SUMMARY_LIKERT, ITEMS)
    assert got == {"e1": 4, "e2": 5, "e3": None}  # "4 or 5" is unparseable, not guessed
    call = server.calls[0]
    assert call["temperature"] == 0 and call["seed"] == 0 and call["model"] == "m"
    assert judge_items(store, settings, SUMMARY_LIKERT, ITEMS) == got
    assert len(server.calls) == 3  # second pass: all from the cache, unparseable included
    raw = store.conn.execute("SELECT raw FROM judge_cache WHERE verdict IS NULL").fetchone()[0]
    assert raw == "4 or 5"


def test_retries_with_backoff_then_succeeds(store, chat_server):
    server = chat_server({"m": lambda text: "correct"}, fail_first=2)
    got = judge_items(store, judge("j", server.url, retries=2), EQUIVALENCE,
                      [Item("e1", "q", "a", gold="a")])
    assert got == {"e1": True} and len(server.calls) == 3


def test_gives_up_after_retries_with_a_clear_error(store, chat_server):
    server = chat_server({"m": lambda text: "correct"}, fail_first=10)
    with pytest.raises(UserError, match="failed 2 times"):
        judge_items(store, judge("j", server.url, retries=1), EQUIVALENCE, [Item("e1", "q", "a", gold="a")])
    assert store.conn.execute("SELECT COUNT(*) FROM judge_cache").fetchone()[0] == 0


def test_missing_api_key_env_is_a_user_error(store, monkeypatch):
    monkeypatch.delenv("MEDTUNE_TEST_KEY", raising=False)
    with pytest.raises(UserError, match="MEDTUNE_TEST_KEY"):
        judge_items(store, judge("j", "http://127.0.0.1:9/v1", api_key_env="MEDTUNE_TEST_KEY"),
                    EQUIVALENCE, [Item("e1", "q", "a", gold="a")])


def test_jury_majority_and_agreement(store, chat_server):
    verdict = {"a": {"1": "correct", "2": "correct", "3": "incorrect"},
               "b": {"1": "correct", "2": "incorrect", "3": "incorrect"},
               "c": {"1": "nonsense", "2": "incorrect", "3": "correct"}}
    server = chat_server({m: (lambda text, m=m: verdict[m][text.rsplit("answer ", 1)[1]]) for m in verdict})
    items = [Item(e, "q", f"answer {e}", gold="g") for e in ("1", "2", "3")]
    res = run_jury(store, [judge(m, server.url, model=m) for m in verdict], EQUIVALENCE, items)
    assert res.verdicts["c"]["1"] is None
    # 1: two yes, c unparseable -> yes; 2: one yes two no -> no; 3: one yes two no -> no
    assert res.final == {"1": True, "2": False, "3": False}
    ab = res.agreement["a|b"]
    assert ab.n == 3 and ab.percent == pytest.approx(2 / 3)
    assert res.agreement["a|c"].n == 2  # c's unparseable verdict is not an agreement datum


def test_aggregate_mean_for_likert_and_no_verdict_on_a_tie():
    assert aggregate(SUMMARY_LIKERT, [4, 5, None]) == 4.5
    assert aggregate(SUMMARY_LIKERT, [None]) is None
    assert aggregate(EQUIVALENCE, [True, False]) is None
    assert aggregate(SUMMARY_LIKERT, [2, 5, 5, None], likert="median") == 5.0
    assert aggregate(SUMMARY_LIKERT, [2, 5, 5, None]) == 4.0


def test_cache_only_reads_make_no_call(store, chat_server):
    """call=False (how reports read verdicts): cached items come back, the rest are left out
    (not None, which means unparseable), and the server is never asked."""
    server = chat_server({"m": lambda text: "3"})
    settings = judge("j", server.url)
    judge_items(store, settings, SUMMARY_LIKERT, ITEMS[:1])
    assert judge_items(store, settings, SUMMARY_LIKERT, ITEMS, call=False) == {"e1": 3}
    assert len(server.calls) == 1


@pytest.mark.parametrize("reply,expected", [("3", 3), (" 5.\n", 5), ("score: 2", 2), ("6", None),
                                            ("3/5", None), ("I'd say 4", None), ("", None)])
def test_likert_parse_is_strict(reply, expected):
    assert SUMMARY_LIKERT.parse(reply) == expected


@pytest.mark.parametrize("reply,expected", [("correct", True), ("Incorrect.", False),
                                            ("mostly correct", None), ("yes", None)])
def test_equivalence_parse_is_strict(reply, expected):
    assert EQUIVALENCE.parse(reply) == expected


def test_egress_allows_loopback_and_private():
    for url in ("http://127.0.0.1:8000/v1", "http://localhost:8000/v1", "http://10.1.2.3/v1",
                "http://192.168.0.5:11434/v1", "http://[::1]:8000/v1"):
        check_egress("j", url, allow_external=False)


def test_egress_refuses_public_addresses_unless_allowed():
    with pytest.raises(UserError, match="allow_external: true") as err:
        check_egress("gpt4", "https://8.8.8.8/v1", allow_external=False)
    assert "gpt4" in str(err.value) and "8.8.8.8" in str(err.value)
    check_egress("gpt4", "https://8.8.8.8/v1", allow_external=True)


def test_egress_resolves_host_names(monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port: [(2, 1, 6, "", ("93.184.216.34", 0))])
    with pytest.raises(UserError, match="93.184.216.34"):
        check_egress("j", "https://api.example.com/v1", allow_external=False)


def test_openai_judge_refused_before_any_call(store):
    with pytest.raises(UserError, match="allow_external"):
        judge_items(store, judge("j", "https://8.8.4.4/v1"), EQUIVALENCE, [Item("e1", "q", "a", gold="a")])


def test_settings_are_strict():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="allow_externall"):
        JudgeSettings(name="j", backend="openai", model="m", base_url="http://127.0.0.1/v1", allow_externall=True)
    with pytest.raises(ValidationError, match="base_url"):
        JudgeSettings(name="j", backend="openai", model="m")


def test_local_backend_on_a_tiny_random_model(store, tiny_model_dir):
    settings = JudgeSettings(name="tiny", backend="local", model=str(tiny_model_dir), max_tokens=4)
    got = judge_items(store, settings, SUMMARY_LIKERT, ITEMS[:1])
    raw = store.conn.execute("SELECT raw FROM judge_cache").fetchone()[0]
    # A random model babbles: its reply is kept verbatim and parsed strictly.
    assert got["e1"] == SUMMARY_LIKERT.parse(raw)
    assert judge_items(store, settings, SUMMARY_LIKERT, ITEMS[:1]) == got


def test_kappa_matches_statsmodels():
    """Hand check: a=[1,1,2,2], b=[1,2,2,2] unweighted: po = 3/4, marginals a (1/2, 1/2),
    b (1/4, 3/4), pe = 1/8 + 3/8 = 1/2, kappa = (3/4 - 1/2) / (1/2) = 1/2."""
    import numpy as np
    from statsmodels.stats.inter_rater import cohens_kappa

    from medtune.stats.agreement import cohen_kappa

    assert cohen_kappa([1, 1, 2, 2], [1, 2, 2, 2], [1, 2]) == pytest.approx(0.5)
    rng = np.random.default_rng(0)
    a = rng.integers(1, 6, 40)
    b = np.clip(a + rng.integers(-1, 2, 40), 1, 5)
    table = np.zeros((5, 5))
    for x, y in zip(a, b):
        table[x - 1, y - 1] += 1
    for wt in ("linear", "quadratic"):
        ref = cohens_kappa(table, wt=wt).kappa
        assert cohen_kappa(list(a), list(b), [1, 2, 3, 4, 5], wt) == pytest.approx(ref)
    assert cohen_kappa(list(a), list(b), [1, 2, 3, 4, 5]) == pytest.approx(cohens_kappa(table).kappa)


def test_judge_predictions_per_variant_into_outcomes(store, chat_server):
    """A summary task's saved test predictions, judged per variant: the interface the study
    runner uses; outcomes pair on example ids like grading.outcomes."""
    from medtune.judges import jury_outcomes, judge_predictions

    store.save_prompts("summary", {"s1": "note 1", "s2": "note 2"})
    for variant, texts in (("base", ["short", "???"]), ("sft", ["better", "best"])):
        store.save_predictions("summary", variant, "test", [
            {"example_id": f"s{i + 1}", "gold": "gold", "predicted": None, "text": t} for i, t in enumerate(texts)])
    score = {"short": "2", "???": "unsure", "better": "4", "best": "5"}
    server = chat_server({"m": lambda text: score[text.rsplit("\n", 1)[1]]})
    res = judge_predictions(store, "summary", SUMMARY_LIKERT, [judge("j", server.url)])
    assert jury_outcomes(res) == {"base": {"s1": 2.0}, "sft": {"s1": 4.0, "s2": 5.0}}
    assert "dpo" not in res
    store.save_predictions("summary", "dpo", "test", [{"example_id": "s9", "gold": "g", "predicted": None,
                                                        "text": "x"}])
    with pytest.raises(UserError, match="no stored prompt"):
        judge_predictions(store, "summary", SUMMARY_LIKERT, [judge("j", "http://127.0.0.1:9/v1")], ("dpo",))
