"""Open-ended tasks through the study on tiny models: generation, per-example outcomes, paired
tests, dev selection on the task's metric, and the model-made rejected strategies."""

import pytest

from medtune.config import parse_study
from medtune.store import Store
from medtune.study.context import Progress
from medtune.runner import run_study
from same_results import assert_model_writes_the_same_bytes


SIZES = {"train": 8, "eval": 2, "dev": 3, "test": 8}


def _raw(babbling_model_dir, tiny_model_dir):
    return {
        "name": "open", "seed": 0, "model": str(babbling_model_dir),
        "tasks": [
            {"task": "reasoning", "data": {"synthetic": {"n": 24}}, "sizes": SIZES, "rejected": "on_policy"},
            {"task": "summarization", "data": {"synthetic": {"n": 24}}, "sizes": SIZES,
             "rejected": "weaker_model", "rejected_model": str(tiny_model_dir)},
        ],
        "training": {"batch_size": 4, "pack_tokens": 1024, "max_length": 1024},
        "sft": {"learning_rates": [1e-3, 1e-5], "steps": 1, "eval_every": 1},
        "dpo": {"learning_rates": [1e-3], "betas": [0.1], "steps": 1, "eval_every": 1},
        "evaluation": {"max_new_tokens": 6},
        "statistics": {"bootstrap": 100},
    }


@pytest.fixture(scope="module")
def study_dir(babbling_model_dir, tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("open-study")
    outcome = run_study(parse_study(_raw(babbling_model_dir, tiny_model_dir), "test"), out)
    return out, outcome.results


def test_results_have_the_tasks_metrics_and_tests(study_dir):
    out, results = study_dir
    r, s = results["tasks"]["reasoning"], results["tasks"]["summarization"]
    assert (r["metric"], r["endpoints"], r["kind"]) == ("accuracy", ["accuracy"], "open_qa")
    assert (s["metric"], s["endpoints"]) == ("coverage", ["coverage", "rouge_l"])
    for t in (r, s):
        assert t["n_test"] == 8 and set(t["variants"]) == {"base", "sft", "dpo"}
        for v in t["variants"].values():
            assert 0.0 <= v["value"] <= 1.0 and v["ci95"][0] <= v["value"] <= v["ci95"][1]
            assert v["empty_answer_rate"] == 0.0 and v["mean_answer_words"] > 0
    assert {c["test"] for c in r["comparisons"]} == {"mcnemar_exact"}
    tests = {(c["a"], c["b"], c["endpoint"], c["test"]) for c in s["comparisons"]}
    assert len(tests) == 12 and {t[3] for t in tests} == {"paired_t", "wilcoxon_signed_rank"}
    assert all(c["secondary"] for c in s["comparisons"] if c["test"] == "wilcoxon_signed_rank")
    # the family: reasoning accuracy (3 pairs) and summarization's primary outcome, coverage,
    # by t-test (3 pairs); ROUGE-L and the Wilcoxon checks are secondary
    assert results["n_comparisons"] == 3 + 3
    assert sum(c["primary"] for c in s["comparisons"]) == 3
    assert all(c["p"] is None or c["p"] <= c["p_adjusted"] <= 1.0 for c in r["comparisons"] + s["comparisons"])
    assert r["deploy"] in ("base", "sft", "dpo") and "accuracy" in r["recommendation"]
    md = (out / "report" / "report.md").read_text()
    assert "ROUGE-L" in md and "key-fact coverage" in md and "Wilcoxon signed-rank (check)" in md


def test_per_example_outcomes_are_stored(study_dir):
    out, _ = study_dir
    store = Store(out / "study.db")
    rows = store.predictions("reasoning", "sft", "test")
    assert len(rows) == 8 and all(r["scores"]["accuracy"] in (0.0, 1.0) for r in rows)
    assert all(r["predicted"] is None and isinstance(r["gold"], str) and r["text"] for r in rows)
    rows = store.predictions("summarization", "base", "test")
    assert all(0.0 <= r["scores"]["coverage"] <= 1.0 and 0.0 <= r["scores"]["rouge_l"] <= 1.0 for r in rows)
    assert len(store.prompts("summarization")) == 8
    store.close()


def test_dev_selection_uses_the_tasks_metric(study_dir):
    out, _ = study_dir
    store = Store(out / "study.db")
    runs = [r for r in store.runs("reasoning") if r["method"] == "sft"]
    assert len(runs) == 2
    for run in runs:
        dev = store.predictions("reasoning", run["key"], "dev")
        assert run["dev_metric"] == pytest.approx(sum(d["scores"]["accuracy"] for d in dev) / len(dev))
    chosen = [r for r in runs if r["selected"]]
    assert len(chosen) == 1 and chosen[0]["dev_metric"] == max(r["dev_metric"] for r in runs)
    store.close()


def test_on_policy_uses_the_sft_models_wrong_answers(study_dir):
    out, results = study_dir
    rejected = results["tasks"]["reasoning"]["rejected"]
    assert rejected["strategy"] == "on_policy"
    assert rejected["generated_answers"] == {"train": {"generated": 8, "fallback": 0, "dropped": 0},
                                             "eval": {"generated": 2, "fallback": 0, "dropped": 0}}
    store = Store(out / "study.db")
    rows = store.predictions("reasoning", "rejected/on_policy", "train")
    assert len(rows) == 8 and all(r["text"].strip() for r in rows)
    assert {r["scores"]["status"] for r in rows} == {"generated"}
    assert [r["status"] for r in store.runs("reasoning") if r["method"] == "dpo"] == ["done"]
    store.close()


def test_weaker_model_falls_back_when_its_answers_are_blank(study_dir, tiny_model_dir):
    """The named weaker model (tied tiny llama) answers blank: every pair falls back to the
    task's default, wrong_option, and DPO still runs."""
    out, results = study_dir
    rejected = results["tasks"]["summarization"]["rejected"]
    assert rejected["strategy"] == "weaker_model" and rejected["model"] == str(tiny_model_dir)
    assert rejected["generated_answers"]["train"] == {"generated": 0, "fallback": 8, "dropped": 0}
    assert rejected["fallback_strategy"] == "wrong_option"
    store = Store(out / "study.db")
    assert [r["status"] for r in store.runs("summarization") if r["method"] == "dpo"] == ["done"]
    assert any(r[0] == "summarization" and r[1] == "dpo" for r in store.conn.execute(
        "SELECT task, stage FROM compute WHERE run_key LIKE 'rejected/%'"))
    store.close()


def test_weaker_model_defaults_to_the_study_model(babbling_model_dir, tmp_path):
    raw = {
        "name": "weak", "seed": 0, "model": str(babbling_model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 16}}, "rejected": "weaker_model",
                   "sizes": {"train": 6, "eval": 2, "dev": 0, "test": 8}}],
        "training": {"batch_size": 3},
        "sft": {"learning_rates": [1e-3], "steps": 1}, "dpo": {"learning_rates": [1e-3], "steps": 1},
        "evaluation": {"max_new_tokens": 4}, "statistics": {"bootstrap": 100},
    }
    results = run_study(parse_study(raw, "test"), tmp_path / "s").results
    rejected = results["tasks"]["uti"]["rejected"]
    assert rejected["model"].startswith("the study's model")
    # babble never reads as "yes"/"no": every generated answer is a usable wrong answer
    assert rejected["generated_answers"]["train"] == {"generated": 6, "fallback": 0, "dropped": 0}


def test_rerun_generates_no_rejected_answers_again(study_dir, babbling_model_dir, tiny_model_dir):
    """Model-made rejected answers are a stored stage: a rerun reads them back, trains and
    generates nothing, and reports the same rejected counts."""
    out, results = study_dir
    store = Store(out / "study.db")
    before = store.predictions("reasoning", "rejected/on_policy", "train")
    store.close()
    stages = []
    again = run_study(parse_study(_raw(babbling_model_dir, tiny_model_dir), "test"), out,
                      progress=Progress(stage=lambda name, total: stages.append(name)))
    assert stages == []
    store = Store(out / "study.db")
    assert store.predictions("reasoning", "rejected/on_policy", "train") == before
    store.close()
    for task in ("reasoning", "summarization"):
        assert again.results["tasks"][task]["rejected"] == results["tasks"][task]["rejected"]


def test_results_model_writes_the_bytes_the_dicts_wrote(study_dir):
    """Open-ended outcomes, model-made rejected answers (per-split counts): report/model.py."""
    out, _ = study_dir
    assert_model_writes_the_same_bytes(out)
