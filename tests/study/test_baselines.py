"""Served models as variants: a `baselines:` entry pointing at the loopback OpenAI-compatible
server answers the test set (few-shot, structured output where offered), its replies are
cached in study.db, and the report compares it with base/SFT/DPO in the same corrected family."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score
from statsmodels.stats.contingency_tables import mcnemar

from medtune.config import parse_study
from medtune.judges.structured import answer_text, choice_format
from medtune.report.recommend import format_p
from medtune.store import Store
from medtune.runner import run_study
from same_results import assert_model_writes_the_same_bytes


def hosted(message: str) -> str:
    """A served model that answers by a hash of the note: 'yes', 'no', or an unreadable reply."""
    return ["yes", "no", "no", "I cannot tell from this note"][int(hashlib.sha256(message.encode()).hexdigest(), 16) % 4]


def _study(model_dir, url, **baseline):
    return parse_study({
        "name": "served", "seed": 0, "model": str(model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 36}}, "sizes": {"train": 12, "eval": 2, "dev": 2, "test": 20}}],
        "training": {"batch_size": 4, "pack_tokens": 256},
        "sft": {"learning_rates": [1e-2], "steps": 2, "eval_every": 2},
        "dpo": {"learning_rates": [1e-2], "betas": [0.1], "steps": 2, "eval_every": 2},
        "statistics": {"bootstrap": 100},
        "baselines": [{"name": "hosted", "base_url": url, "model": "gpt-x", "backoff_seconds": 0, **baseline}],
    }, "test")


@pytest.fixture(scope="module")
def served(tiny_model_dir, tmp_path_factory, module_chat_server):
    """One study with a few-shot baseline on a server that honours structured output."""
    server = module_chat_server({"gpt-x": hosted}, structured="honour")
    out = tmp_path_factory.mktemp("served") / "study"
    study = _study(tiny_model_dir, server.url, shots=2)
    run_study(study, out)
    return study, out, server


def test_baseline_beside_base_sft_dpo_with_paired_p_values(served):
    study, out, server = served
    results = json.loads((out / "report" / "results.json").read_text())
    t = results["tasks"]["uti"]
    assert set(t["variants"]) == {"base", "sft", "dpo", "hosted"}
    store = Store(out / "study.db")
    rows = {v: store.predictions("uti", v, "test") for v in ("dpo", "hosted")}
    store.close()
    gold = [r["gold"] for r in rows["hosted"]]
    pred = [r["predicted"] or "none" for r in rows["hosted"]]
    assert t["variants"]["hosted"]["value"] == pytest.approx(f1_score(gold, pred, labels=["yes"], average="micro", zero_division=0))
    unreadable = sum(r["predicted"] is None for r in rows["hosted"])
    assert 0 < unreadable < 20  # the non-answer is unparseable, never guessed
    assert t["variants"]["hosted"]["parse_failure_rate"] == unreadable / 20
    assert t["baselines"]["hosted"] == {"model": "gpt-x", "shots": 2, "n": 20, "structured_requested": True,
                                        "structured_replies": 20, "unparseable_rate": unreadable / 20}
    # three new comparisons in the family: hosted vs base, SFT and DPO
    assert {(c["a"], c["b"]) for c in t["comparisons"] if "hosted" in (c["a"], c["b"])} == {
        ("base", "hosted"), ("sft", "hosted"), ("dpo", "hosted")}
    assert results["n_comparisons"] == 6
    # the F1 permutation test decides; McNemar (the paper's test) is reported beside it
    decisive = next(c for c in t["comparisons"] if (c["a"], c["b"]) == ("dpo", "hosted") and c["primary"])
    assert decisive["test"] == "permutation_f1"
    c = next(c for c in t["comparisons"] if (c["a"], c["b"]) == ("dpo", "hosted") and c["test"] == "mcnemar_exact")
    assert not c["primary"]
    right = {v: np.array([r["predicted"] == r["gold"] for r in rows[v]]) for v in rows}
    table = [[np.sum(right["dpo"] & right["hosted"]), np.sum(right["dpo"] & ~right["hosted"])],
             [np.sum(~right["dpo"] & right["hosted"]), np.sum(~right["dpo"] & ~right["hosted"])]]
    assert c["p"] == pytest.approx(mcnemar(table, exact=True).pvalue)
    assert c["p_adjusted"] == pytest.approx(min(1.0, 6 * c["p"]))
    deployed = t["deploy"]
    vs = next(c for c in t["comparisons"] if (c["a"], c["b"]) == (deployed, "hosted") and c["primary"])
    assert t["recommendation"].endswith(
        f" Against served baselines: hosted vs {deployed if deployed == 'base' else deployed.upper()}: F1 "
        f"{t['variants']['hosted']['value']:.2f} vs {t['variants'][deployed]['value']:.2f}, adjusted "
        f"{format_p(vs['p_adjusted'])}, n.s. (inconclusive).")
    report = (out / "report" / "report.md").read_text()
    assert "hosted vs DPO" in report and "| hosted |" in report
    assert f"hosted = served model gpt-x, 2-shot, 20 of 20 replies under structured output, {unreadable / 20:.1%} unparseable" in report
    assert "Served baselines: hosted = served model gpt-x" in (out / "report" / "index.html").read_text()


def test_requests_are_few_shot_structured_and_cached(served, tiny_model_dir):
    study, out, server = served
    assert len(server.calls) == 20
    body = server.calls[0]
    assert body["response_format"] == choice_format("uti", ["yes", "no"])
    assert body["temperature"] == 0 and body["model"] == "gpt-x"
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert {m["content"] for m in body["messages"][2:5:2]} <= {"yes", "no"}  # the shots' gold answers
    shots = [m["content"] for m in body["messages"][1:4:2]]
    assert all(s != m["messages"][-1]["content"] for m in server.calls for s in shots)  # shots are train notes
    run_study(study, out)  # a rerun: every reply from the cache
    assert len(server.calls) == 20


def test_server_without_structured_output_is_asked_in_text(tiny_model_dir, tmp_path, chat_server):
    server = chat_server({"gpt-x": hosted}, structured="refuse")
    out = tmp_path / "study"
    run_study(_study(tiny_model_dir, server.url), out)
    # one refused structured request, then plain text for every example
    assert len(server.calls) == 21 and "response_format" in server.calls[0]
    assert not any("response_format" in c for c in server.calls[1:])
    summary = json.loads((out / "report" / "results.json").read_text())["tasks"]["uti"]["baselines"]["hosted"]
    assert summary["structured_replies"] == 0 and summary["shots"] == 0
    assert len(server.calls[1]["messages"]) == 2  # no shots: system and the test note


def test_answer_text_reads_structured_replies_strictly():
    assert answer_text('{"answer": "yes"}') == "yes"
    assert answer_text('{"answer": "yes", "why": "x"}') == '{"answer": "yes", "why": "x"}'
    assert answer_text("No, the answer is no.") == "No, the answer is no."


def test_baseline_names_and_egress_are_checked(tiny_model_dir):
    from medtune.errors import UserError

    with pytest.raises(UserError, match="taken by a fine-tuning variant"):
        _study(tiny_model_dir, "http://127.0.0.1:1/v1", name="dpo")
    with pytest.raises(UserError, match="outside loopback"):
        _study(tiny_model_dir, "http://8.8.8.8/v1")


def test_open_ended_baseline_is_scored_and_judged(tiny_model_dir, tmp_path, chat_server):
    """A reasoning task: the baseline's free-text answers get the task's automatic outcome
    (no answer set, so no structured output) and the judges judge them like base/SFT/DPO."""
    from medtune.tasks import get_task

    gold = {ex.prompt_text(): ex.chosen for ex in get_task("reasoning").generate(30, 0)}
    replies = {"gpt-x": lambda note: gold.get(note, "no idea") if len(note) % 2 else "no idea",
               "judge": lambda text: "correct" if "\nseptic arthritis" in text else "incorrect"}
    server = chat_server(replies, structured="honour")
    study = parse_study({
        "name": "served-open", "seed": 0, "model": str(tiny_model_dir),
        "tasks": [{"task": "reasoning", "data": {"synthetic": {"n": 30}}, "sizes": {"train": 12, "eval": 2, "dev": 2, "test": 14}}],
        "training": {"batch_size": 4, "pack_tokens": 256},
        "sft": {"learning_rates": [1e-3], "steps": 1, "eval_every": 1},
        "dpo": {"enabled": False, "learning_rates": [1e-3], "steps": 1},
        "evaluation": {"max_new_tokens": 4}, "statistics": {"bootstrap": 100}, "tracking": {"tensorboard": False},
        "judges": {"jury": [{"name": "j", "backend": "openai", "model": "judge", "base_url": server.url, "backoff_seconds": 0}],
                   "rubrics": {"reasoning": "equivalence"}},
        "baselines": [{"name": "hosted", "base_url": server.url, "model": "gpt-x", "backoff_seconds": 0}],
    }, "test")
    run_study(study, tmp_path / "study")
    results = json.loads((tmp_path / "study" / "report" / "results.json").read_text())
    t = results["tasks"]["reasoning"]
    store = Store(tmp_path / "study" / "study.db")
    rows = store.predictions("reasoning", "hosted", "test")
    store.close()
    served = [c for c in server.calls if c["model"] == "gpt-x"]
    assert len(served) == 14 and not any("response_format" in c for c in served)
    automatic = t["automatic"]["variants"]["hosted"]
    assert automatic["value"] == pytest.approx(sum(r["scores"]["accuracy"] for r in rows) / 14)
    graded = t["graded"]["judges:equivalence"]
    assert set(graded["variants"]) == {"base", "sft", "hosted"} and graded["variants"]["hosted"]["n"] == 14
    assert {(c["a"], c["b"]) for c in graded["comparisons"]} >= {("base", "hosted"), ("sft", "hosted")}
    assert t["baselines"]["hosted"]["unparseable_rate"] is None  # free text: nothing to parse


def test_results_model_writes_the_bytes_the_dicts_wrote(served):
    """A served baseline as a variant, its reply summary under ``baselines``: report/model.py."""
    _, out, _ = served
    assert_model_writes_the_same_bytes(out)
