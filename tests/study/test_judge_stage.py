"""A study with LLM judges configured, end to end on the tiny model: a real OpenAI-compatible
server on loopback judges a summarization-like open-ended task (Likert) and UTI answers
generated as text (equivalence); results.json and the report carry mean Likert scores with
paired t-tests and Wilcoxon, McNemar for correct/incorrect, inter-judge agreement; physician
grades added afterwards flow into the statistics through ``medtune study report``."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from markupsafe import escape
from scipy import stats as sps
from typer.testing import CliRunner

from medtune.config import parse_study
from medtune.data.records import Example
from medtune.errors import UserError
from medtune.judges import SUMMARY_LIKERT
from medtune.store import Store
from medtune.study.context import Progress
from medtune.runner import run_study
from same_results import assert_model_writes_the_same_bytes
from medtune.tasks import Task


class TinySummary(Task):
    """Test-only open-ended task: a short discharge note -> a one-line summary (no labels)."""

    name = "tiny_summary"
    kind = "summarization"
    system_prompt = "Summarize the discharge note for an internist in one sentence."

    def parse(self, text):
        return None  # open-ended: there is no label to read

    def generate(self, n, seed):
        rng = random.Random(seed)
        out = []
        for i in range(n):
            age, days = rng.randint(20, 90), rng.randint(1, 9)
            problem = rng.choice(["pneumonia", "cellulitis", "pyelonephritis", "heart failure"])
            note = f"Patient aged {age} admitted {days} days for {problem}; treated and improved."
            out.append(Example(id=f"s{i}", prompt=note, chosen=f"{age}-year-old treated for {problem}, improved.",
                               rejected="Patient was in hospital."))
        return out


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def likert(judge: str, user_message: str) -> int:
    """Judge a's score is a hash of what it reads (note and summary); judge b gives one more
    on a third of them."""
    score = 1 + _hash(user_message) % 5
    return min(5, score + 1) if judge == "b" and _hash(user_message) % 3 == 0 else score


def reply(judge: str, user_message: str) -> str:
    if "## Gold answer" in user_message:
        return "correct" if _hash(user_message) % 2 else "incorrect"
    return str(likert(judge, user_message)) if judge == "a" else f"Score: {likert(judge, user_message)}"


@pytest.fixture()
def tiny_summary(monkeypatch):
    import medtune.tasks as tasks_pkg

    tasks_pkg._load_builtins()
    monkeypatch.setitem(tasks_pkg._REGISTRY, "tiny_summary", TinySummary)


def _study(model_dir, url, **judges):
    sizes = {"train": 8, "eval": 2, "dev": 2, "test": 12}
    return parse_study({
        "name": "judged", "seed": 0, "model": str(model_dir),
        "tasks": [{"task": "tiny_summary", "data": {"synthetic": {"n": 24}}, "sizes": sizes},
                  {"task": "uti", "data": {"synthetic": {"n": 24}}, "sizes": sizes}],
        "training": {"batch_size": 4, "pack_tokens": 256},
        "sft": {"learning_rates": [1e-2], "steps": 2, "eval_every": 2},
        "dpo": {"learning_rates": [1e-2], "betas": [0.1], "steps": 2, "eval_every": 2},
        "evaluation": {"mode": "generate", "max_new_tokens": 6},
        "statistics": {"bootstrap": 100},
        "judges": {"jury": [{"name": n, "backend": "openai", "model": n, "base_url": url, "backoff_seconds": 0}
                            for n in ("a", "b")],
                   "rubrics": {"tiny_summary": "summary_likert", "uti": "equivalence"}, **judges},
    }, "test")


def test_judged_study_reports_likert_with_paired_t_and_wilcoxon(tiny_model_dir, tmp_path, chat_server,
                                                               tiny_summary):
    server = chat_server({n: (lambda text, n=n: reply(n, text)) for n in ("a", "b")})
    out = tmp_path / "study"
    study = _study(tiny_model_dir, server.url)
    events = []
    run_study(study, out, progress=Progress(stage=lambda name, total: events.append([name, total, 0]),
                                            advance=lambda n: events[-1].__setitem__(2, events[-1][2] + n)))
    results = json.loads((out / "report" / "results.json").read_text())
    calls = len(server.calls)
    # the judge stage advances per verdict (2 judges x 3 variants x the test set), not once at its end
    judged = [e for e in events if e[0].startswith("tiny_summary: LLM judges")]
    assert judged and judged[0][1] == judged[0][2] == 2 * 3 * results["tasks"]["tiny_summary"]["n_test"]
    store = Store(out / "study.db")
    prompts = store.prompts("tiny_summary")
    shown = {v: {r["example_id"]: SUMMARY_LIKERT.messages(prompts[r["example_id"]], r["text"])[-1]["content"]
                 for r in store.predictions("tiny_summary", v, "test")} for v in ("base", "sft", "dpo")}
    # one call per judge and distinct (prompt, output): a variant repeating another's output is cached
    distinct = {(task, r["example_id"], r["text"]) for task in ("tiny_summary", "uti")
                for v in ("base", "sft", "dpo") for r in store.predictions(task, v, "test")}
    assert calls == 2 * len(distinct) and len(distinct) > 36
    jury = {v: {e: (likert("a", t) + likert("b", t)) / 2 for e, t in shown[v].items()} for v in shown}

    summary = results["tasks"]["tiny_summary"]
    graded = summary["graded"]["judges:summary_likert"]
    assert summary["metric"] == "likert" and summary["graded_by"] == "judges:summary_likert"
    assert graded["judges"] == ["a", "b"] and graded["aggregate"] == "mean"
    assert graded["unparseable"] == {"a": 0.0, "b": 0.0}  # per judge, over every variant it judged
    assert all("response_format" in c for c in server.calls)  # structured output asked for (the server ignores it)
    for v in ("base", "sft", "dpo"):
        got = graded["variants"][v]
        assert got["n"] == 12 and got["n_missing"] == 0
        assert got["value"] == pytest.approx(sum(jury[v].values()) / 12)
        assert summary["variants"][v]["value"] == got["value"]
        assert got["ci95"][0] <= got["value"] <= got["ci95"][1]
    tests = {(c["a"], c["b"], c["test"]): c for c in graded["comparisons"]}
    assert set(tests) == {(a, b, t) for a, b in (("base", "sft"), ("sft", "dpo"), ("base", "dpo"))
                          for t in ("paired_t", "wilcoxon_signed_rank")}
    n_all = results["n_comparisons"]
    for (a, b, test), c in tests.items():
        ids = sorted(jury[a])
        x, y = [jury[b][i] for i in ids], [jury[a][i] for i in ids]
        if c["p"] is None:  # zero-variance or all-tied differences: too few items to test
            assert c["note"] == "too few items to test" and c["p_adjusted"] is None
            continue
        ref = sps.ttest_rel(x, y) if test == "paired_t" else sps.wilcoxon(x, y)
        assert c["p"] == pytest.approx(ref.pvalue)
        # Bonferroni over the study's primary comparisons (secondary ones: read with the same m)
        assert c["p_adjusted"] == pytest.approx(min(1.0, c["p"] * n_all))
    # the task's headline comparisons are the paper's: the paired t-test on the Likert means
    assert {c["test"] for c in summary["comparisons"]} == {"paired_t"}
    agree = graded["agreement"][0]
    assert agree["raters"] == "a | b" and agree["n"] == 36 and agree["weights"] == "quadratic"
    outputs = [t for v in shown for t in shown[v].values()]
    assert agree["percent"] == pytest.approx(sum(likert("a", t) == likert("b", t) for t in outputs) / 36)

    uti = results["tasks"]["uti"]
    assert uti["metric"] == "f1"  # a labelled task keeps F1; the judges add a section
    eq = uti["graded"]["judges:equivalence"]
    assert {c["test"] for c in eq["comparisons"]} == {"mcnemar_exact"}
    assert eq["agreement"][0]["percent"] == 1.0
    # the family holds primary comparisons only: uti's 3 F1 tests and tiny_summary's 3 paired
    # t-tests; the judges' equivalence McNemar on uti and the Wilcoxon checks are secondary
    assert n_all == 6
    assert not any(c["primary"] for c in eq["comparisons"])

    md = (out / "report" / "report.md").read_text()
    html = (out / "report" / "index.html").read_text()
    for text in ("Likert, graded by LLM judges a, b (summary_likert, jury mean)", "Mean Likert (1-5)", "paired t-test",
                 "Wilcoxon signed-rank", "McNemar (exact)", "Cohen's kappa (quadratic weights)",
                 "(unparseable replies: a 0.0%, b 0.0%)"):
        assert text in md and str(escape(text)) in html

    # Running the judge stage again is free: every verdict comes from study.db.
    from medtune.judges.stage import judge_task

    judge_task(store, study.judges, "tiny_summary")
    assert len(server.calls) == calls
    store.close()


def test_physician_grades_flow_into_the_report(tiny_model_dir, tmp_path, chat_server, tiny_summary):
    """Two physicians grade the open-ended outputs after the study; ``medtune study report``
    rebuilds the statistics from study.db with a physicians section and their agreement,
    corrected together with the rest, without running any model or judge."""
    from medtune.cli import _register, app
    from medtune.grading import Grader, add_grader, create_items, queue, record_grade

    server = chat_server({n: (lambda text, n=n: reply(n, text)) for n in ("a", "b")})
    out = tmp_path / "study"
    run_study(_study(tiny_model_dir, server.url), out)
    calls = len(server.calls)
    before = json.loads((out / "report" / "results.json").read_text())

    store = Store(out / "study.db")
    create_items(store, "tiny_summary", "summary_likert")
    for name in ("ann", "bob"):
        add_grader(store, name)
    graders = [Grader(r[0], r[1], r[2]) for r in store.conn.execute("SELECT id, name, role FROM graders")]
    for g in graders:
        for item_id in queue(store, g):
            pub, variant = store.conn.execute("SELECT public_id, variant FROM grade_items WHERE id=?",
                                              (item_id,)).fetchone()
            # ann rates base 2 and the fine-tuned 4; bob agrees except on the DPO outputs (5)
            score = 2 if variant == "base" else 5 if (g.name == "bob" and variant == "dpo") else 4
            record_grade(store, g, pub, str(score))
    store.close()

    if not app.registered_groups:  # other CLI tests may have registered the commands already
        _register()
    result = CliRunner().invoke(app, ["study", "report", str(out)])
    assert result.exit_code == 0, result.output
    assert "physicians:summary_likert" in result.output
    assert len(server.calls) == calls
    after = json.loads((out / "report" / "results.json").read_text())
    phys = after["tasks"]["tiny_summary"]["graded"]["physicians:summary_likert"]
    # 36 items, two graders each: DPO items disagree (4 vs 5) and await an adjudicator
    assert phys["variants"]["base"] == {"value": 2.0, "ci95": [2.0, 2.0], "n": 12, "n_missing": 0}
    assert phys["variants"]["sft"]["value"] == 4.0 and "dpo" not in phys["variants"]
    agree = phys["agreement"][0]
    assert agree["n"] == 36 and agree["percent"] == pytest.approx(24 / 36)
    base_sft = [c for c in phys["comparisons"] if (c["a"], c["b"]) == ("base", "sft")]
    assert {c["test"] for c in base_sft} == {"paired_t", "wilcoxon_signed_rank"}
    # every difference exactly +2: zero variance, the t-test has too few items to test (scipy
    # would say p = 0); Wilcoxon's 12 same-sign differences give p = 2/2^12
    t, w = sorted(base_sft, key=lambda c: c["test"])
    assert t["mean_diff"] == w["mean_diff"] == 2.0
    assert (t["p"], t["note"]) == (None, "too few items to test") and w["p"] < 0.01
    # the physicians are not this task's headline source (the judges are): their tests are
    # secondary and leave the family, and so every other verdict, unchanged
    assert after["n_comparisons"] == before["n_comparisons"]
    assert not any(c["primary"] for c in phys["comparisons"])
    assert after["study"]["data_hashes"] == before["study"]["data_hashes"]
    md = (out / "report" / "report.md").read_text()
    assert "Graded by physicians (summary_likert, two graders per item, adjudicated)" in md
    assert_model_writes_the_same_bytes(out)  # judges' and physicians' sections, automatic outcomes


def test_report_reads_the_stored_verdicts(tiny_model_dir, tmp_path, chat_server, tiny_summary, monkeypatch):
    """The report's judges sections come from the verdicts the judge stage stored: with the
    judge cache emptied and every way to judge raising, ``medtune study report`` rebuilds the
    same results. A directory judged before verdicts were stored (no stored jury) gets an error
    that says what to do, and running the study again stores them from the cache, no call."""
    import medtune.judges.backends
    import medtune.judges.jury
    import medtune.judges.stage
    from medtune.report.refresh import refresh_report

    server = chat_server({n: (lambda text, n=n: reply(n, text)) for n in ("a", "b")})
    out = tmp_path / "study"
    study = _study(tiny_model_dir, server.url)
    run_study(study, out)
    before = json.loads((out / "report" / "results.json").read_text())
    calls = len(server.calls)
    store = Store(out / "study.db")
    cache = [tuple(r) for r in store.conn.execute("SELECT * FROM judge_cache")]
    store.conn.execute("DELETE FROM judge_cache")

    def no_judging(*args, **kwargs):
        raise AssertionError("the report judged")

    with monkeypatch.context() as m:
        for module, name in ((medtune.judges.backends, "make_backend"), (medtune.judges.jury, "judge_items"),
                             (medtune.judges.jury, "judge_predictions"), (medtune.judges.stage, "judge_task")):
            m.setattr(module, name, no_judging)
        refresh_report(out)
    after = json.loads((out / "report" / "results.json").read_text())
    for results in (before, after):
        results["study"].pop("created")
    assert after == before and "judges:summary_likert" in after["tasks"]["tiny_summary"]["graded"]

    # as an older medtune left it: verdicts only in the cache
    store.conn.executemany("INSERT INTO judge_cache VALUES (?, ?, ?, ?, ?, ?)", cache)
    store.conn.execute("DELETE FROM jury_verdicts")
    store.conn.execute("DELETE FROM juries")
    store.close()
    with pytest.raises(UserError, match=r"task 'tiny_summary': .*medtune study run STUDY.yaml --out DIR"):
        refresh_report(out)
    run_study(study, out)
    assert len(server.calls) == calls
    refresh_report(out)
    again = json.loads((out / "report" / "results.json").read_text())
    again["study"].pop("created")
    assert again == before


def test_judges_fail_before_training(tiny_model_dir, tmp_path, monkeypatch, tiny_summary):
    """A judge outside loopback without allow_external fails at validation; a missing API key
    fails the study before any data, model or training."""
    with pytest.raises(UserError) as err:
        _study(tiny_model_dir, "https://8.8.8.8/v1")
    assert "judges: " in str(err.value) and "allow_external: true" in str(err.value)

    monkeypatch.delenv("MEDTUNE_JUDGE_KEY", raising=False)
    raw_study = _study(tiny_model_dir, "http://127.0.0.1:9/v1")
    keyed = raw_study.model_copy(update={"judges": raw_study.judges.model_copy(update={
        "jury": [j.model_copy(update={"api_key_env": "MEDTUNE_JUDGE_KEY"}) for j in raw_study.judges.jury]})})
    with pytest.raises(UserError, match="MEDTUNE_JUDGE_KEY"):
        run_study(keyed, tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_report_needs_a_study_directory(tmp_path):
    from medtune.report.refresh import refresh_report

    with pytest.raises(UserError, match="no study.yaml and study.db here"):
        refresh_report(tmp_path)
