"""The whole study on the tiny model: every stage writes what the report needs."""

import json

import pytest

from medtune.config import parse_study
from medtune.store import Store
from medtune.runner import run_study
from tiny_studies import synthetic, tiny_study
from same_results import assert_model_writes_the_same_bytes


def _study(model_dir, **over):
    return tiny_study(model_dir, **{"name": "tiny",
                         "tasks": [synthetic("uti", 40, 16, 4, 4, 16), synthetic("triage", 40, 16, 4, 4, 16)],
                         "sft": {"learning_rates": [1e-3], "steps": 2, "eval_every": 1},
                         "dpo": {"learning_rates": [1e-3], "betas": [0.1], "steps": 2, "eval_every": 1}, **over})


def test_study_end_to_end(tiny_model_dir, tmp_path):
    out = tmp_path / "study"
    outcome = run_study(_study(tiny_model_dir), out)
    results = json.loads((out / "report" / "results.json").read_text())
    assert results["schema"] == 1
    assert set(results["tasks"]) == {"uti", "triage"}
    for name, t in results["tasks"].items():
        assert t["n_test"] == 16 and t["metric"] == "f1"
        assert set(t["variants"]) == {"base", "sft", "dpo"}
        for v in t["variants"].values():
            assert 0.0 <= v["value"] <= 1.0 and len(v["ci95"]) == 2
        pairs = {(c["a"], c["b"]) for c in t["comparisons"]}
        assert pairs == {("base", "sft"), ("sft", "dpo"), ("base", "dpo")}
        for c in t["comparisons"]:
            assert {"test", "p", "p_adjusted", "significant", "primary"} <= c.keys()
            # 16 examples can leave too few discordant items to test: no p, never significant
            assert (c["p"] is None and c["p_adjusted"] is None and not c["significant"]) or c["p"] <= c["p_adjusted"] <= 1.0
        assert {c["test"] for c in t["comparisons"] if c["primary"]} == {"permutation_f1"}
        assert t["recommendation"] and t["deploy"] in ("base", "sft", "dpo")
        for method in ("sft", "dpo"):  # one config each: a one-candidate sweep
            [c] = t["sweep"][method]["candidates"]
            assert t["sweep"][method]["winner"] == c["key"] == f"{name}/{method}/lr=0.001" + ("/beta=0.1" if method == "dpo" else "")
            assert [s for s, _ in c["curve"]] == [0, 1, 2] and c["plateau_step"] == c["chosen_step"] in (1, 2)
            assert c["selected"] and c["dev_metric"] is None  # nothing to choose: dev not scored
    # primary comparisons, the family: uti 3 pairs; triage 3 pairs x 2 endpoints
    assert results["n_comparisons"] == 9 and results["family"] == "study"
    assert results["compute"]["seconds"]["sft"] > 0 and results["compute"]["seconds"]["dpo"] > 0
    assert results["compute"]["dpo_to_sft"] > 0
    assert results["compute"]["dtype"] in ("fp32", "bf16")  # training.dtype: auto, by hardware
    per_method = results["compute"]["per_method"]
    assert (per_method["sft"]["runs"], per_method["sft"]["steps"], per_method["sft"]["devices"]) == (2, 4, ["cpu"])
    assert per_method["dpo"]["tokens"] > 0 and per_method["eval"]["seconds"] > 0
    assert (out / "report" / "sweep-uti.svg").exists()
    assert outcome.report_path.exists() and (out / "report" / "report.md").exists()
    assert (out / "study.yaml").exists()

    store = Store(out / "study.db")
    runs = store.runs()
    assert {(r["task"], r["method"]) for r in runs} == {(t, m) for t in ("uti", "triage") for m in ("sft", "dpo")}
    assert all(r["status"] == "done" and r["selected"] == 1 for r in runs)
    assert [s for s, _ in store.curve(runs[0]["id"], "eval_loss")] == [0, 1, 2]
    # a finished run keeps one checkpoint: the weights at its chosen step, no optimizer state
    for r in runs:
        [ckpt] = store.checkpoints(r["id"])
        assert ckpt["step"] == r["chosen_step"] and not ckpt["resumable"]
        assert sorted(p.name for p in (out / ckpt["path"]).iterdir()) == ["state.json", "weights.safetensors"]
    assert len([p for p in (out / "checkpoints").rglob("step-*")]) == len(runs)
    assert len(store.predictions("uti", "base", "test")) == 16
    assert len(store.prompts("uti")) == 16
    store.close()
    assert_model_writes_the_same_bytes(out)  # report/model.py: results.json as the dicts wrote it


def test_sweep_selects_on_dev(tiny_model_dir, tmp_path):
    study = _study(
        tiny_model_dir,
        tasks=[{"task": "uti", "data": {"synthetic": {"n": 40}}, "sizes": {"train": 16, "eval": 4, "dev": 8, "test": 8}}],
        sft={"learning_rates": [1e-3, 1e-5], "steps": 1, "eval_every": 1},
        dpo={"enabled": False, "learning_rates": [1e-5], "steps": 1},
    )
    run_study(study, tmp_path / "s")
    store = Store(tmp_path / "s" / "study.db")
    runs = store.runs("uti")
    assert len(runs) == 2 and all(r["dev_metric"] is not None for r in runs)
    chosen = [r for r in runs if r["selected"]]
    assert len(chosen) == 1
    assert chosen[0]["dev_metric"] == max(r["dev_metric"] for r in runs)
    assert len(store.predictions("uti", chosen[0]["key"], "dev")) == 8
    store.close()


def test_study_without_dpo_has_two_variants(tiny_model_dir, tmp_path):
    study = _study(tiny_model_dir, dpo={"enabled": False, "learning_rates": [1e-5], "steps": 1},
                   tasks=[{"task": "uti", "data": {"synthetic": {"n": 30}}, "sizes": {"train": 8, "eval": 2, "dev": 2, "test": 8}}])
    outcome = run_study(study, tmp_path / "s")
    t = outcome.results["tasks"]["uti"]
    assert set(t["variants"]) == {"base", "sft"}
    assert [(c["a"], c["b"]) for c in t["comparisons"]] == [("base", "sft")] * 2  # F1 test, McNemar


def test_generation_mode_reports_parse_failures(tiny_model_dir, tmp_path):
    """A random tiny model generates gibberish: every answer is a parse failure, counted as
    wrong and reported as a rate, never guessed into a label."""
    study = _study(tiny_model_dir, evaluation={"mode": "generate", "max_new_tokens": 4},
                   dpo={"enabled": False, "learning_rates": [1e-5], "steps": 1},
                   sft={"learning_rates": [1e-6], "steps": 1},
                   tasks=[{"task": "uti", "data": {"synthetic": {"n": 30}}, "sizes": {"train": 8, "eval": 2, "dev": 2, "test": 8}}])
    outcome = run_study(study, tmp_path / "s")
    base = outcome.results["tasks"]["uti"]["variants"]["base"]
    assert base["parse_failure_rate"] == 1.0
    assert base["accuracy"] == 0.0
    store = Store(tmp_path / "s" / "study.db")
    rows = store.predictions("uti", "base", "test")
    assert len(rows) == 8 and all(r["predicted"] is None for r in rows)
    store.close()


def test_prepare_data_from_file(tmp_path):
    from medtune.config import TaskEntry
    from medtune.data.readers import write_jsonl
    from medtune.errors import UserError
    from medtune.study.task_data import prepare_data
    from medtune.tasks import get_task

    task = get_task("uti")
    examples = task.generate(10, 5)
    splits = ["train"] * 6 + ["test"] * 4
    write_jsonl(tmp_path / "d.jsonl", [e.model_copy(update={"split": s}) for e, s in zip(examples, splits)])
    td = prepare_data(TaskEntry.model_validate({"task": "uti", "data": {"path": "d.jsonl"}}), 0, tmp_path)
    assert len(td.splits["train"]) == 6 and len(td.splits["test"]) == 4
    assert all(e.rejected and e.rejected != e.chosen for e in td.splits["train"])
    again = prepare_data(TaskEntry.model_validate({"task": "uti", "data": {"path": "d.jsonl"}}), 0, tmp_path)
    assert again.data_hash == td.data_hash

    write_jsonl(tmp_path / "nosplit.jsonl", examples)
    with pytest.raises(UserError, match="sizes"):
        prepare_data(TaskEntry.model_validate({"task": "uti", "data": {"path": "nosplit.jsonl"}}), 0, tmp_path)


def test_paper_sweep_scaled_down(tiny_model_dir, tmp_path):
    """examples/paper.yaml at toy size: 2 SFT learning rates, 2 x 2 DPO configs, retrained at
    the plateau as in the paper; the report shows every curve and the selection."""
    from pathlib import Path

    from medtune.config import load_study

    paper = Path(__file__).resolve().parents[2] / "src" / "medtune" / "examples" / "paper.yaml"
    study = load_study(paper, [
        f"model={tiny_model_dir}",
        "tasks=[{task: uti, data: {synthetic: {n: 40}}, sizes: {train: 12, eval: 4, dev: 6, test: 8}}]",
        "training.batch_size=4", "training.pack_tokens=256", "training.max_length=512",
        "sft.learning_rates=[1e-3, 1e-4]", "sft.steps=4", "sft.eval_every=1",
        "dpo.learning_rates=[1e-3, 1e-4]", "dpo.betas=[0.1, 0.5]", "dpo.steps=2", "dpo.eval_every=1",
        "selection.smoothing=1", "selection.window=1", "selection.tolerance=0.05", "statistics.bootstrap=100",
    ])
    outcome = run_study(study, tmp_path / "s")
    sweep = outcome.results["tasks"]["uti"]["sweep"]
    assert [c["key"] for c in sweep["sft"]["candidates"]] == ["uti/sft/lr=0.001", "uti/sft/lr=0.0001"]
    assert len(sweep["dpo"]["candidates"]) == 4
    for method in ("sft", "dpo"):
        cands = sweep[method]["candidates"]
        assert sum(c["selected"] for c in cands) == 1 and sweep[method]["winner"] in [c["key"] for c in cands]
        assert all(c["dev_metric"] is not None and c["plateau_step"] >= 1 for c in cands)
        # retrained exactly when the plateau came before the budget
        assert all(c["retrained"] == (c["plateau_step"] < c["steps"]) for c in cands)
    store = Store(tmp_path / "s" / "study.db")
    retrains = [r for r in store.runs() if r["role"] == "retrain"]
    assert retrains  # tolerance 5% makes some curves plateau early
    # whether a probe plateaued is stored by the sweep as find_plateau said on its curve, and
    # the report shows the stored flag (it does not run the plateau rule again)
    from medtune.study.plateau import PlateauRule, find_plateau

    rule = PlateauRule(smoothing=1, window=1, tolerance=0.05)
    probes = [r for r in store.runs() if r["role"] == "probe"]
    assert [r["plateau_found"] for r in probes] == [
        int(find_plateau(store.curve(r["id"], "eval_loss"), rule).found) for r in probes]
    assert {c["key"]: c["plateau_found"] for m in ("sft", "dpo") for c in sweep[m]["candidates"]} == {
        r["key"]: bool(r["plateau_found"]) for r in probes}
    assert len(retrains) == sum(c["retrained"] for m in ("sft", "dpo") for c in sweep[m]["candidates"])
    store.close()
    md = (tmp_path / "s" / "report" / "report.md").read_text()
    assert "![Sweep of uti](sweep-uti.svg)" in md and "DPO sweep (winner:" in md


def test_dpo_sweep_computes_the_reference_once(tiny_model_dir, tmp_path, monkeypatch):
    """Two DPO configs share one reference pass (train pairs drawn + eval pairs), stored in the
    study directory and counted once as DPO compute."""
    import medtune.train.refcache as refcache

    calls = []
    real = refcache.sequence_logprobs
    monkeypatch.setattr(refcache, "sequence_logprobs", lambda m, groups, p: calls.append(len(groups)) or real(m, groups, p))
    study = _study(
        tiny_model_dir,
        tasks=[{"task": "uti", "data": {"synthetic": {"n": 40}}, "sizes": {"train": 16, "eval": 4, "dev": 4, "test": 8}}],
        dpo={"learning_rates": [1e-3, 1e-4], "betas": [0.1], "steps": 2, "eval_every": 2},
    )
    run_study(study, tmp_path / "s")
    assert len(calls) == 2 and calls[1] == 4  # drawn train pairs, then the 4 eval pairs
    assert len(list((tmp_path / "s" / "reference").glob("*.safetensors"))) == 2
    store = Store(tmp_path / "s" / "study.db")
    keys = [r["run_key"] for r in store.conn.execute("SELECT run_key FROM compute WHERE stage = 'dpo'")]
    assert sum("/dpo/reference/" in k for k in keys) == 1 and len(keys) == 3
    store.close()


def test_a_task_may_have_its_own_step_budgets(tiny_model_dir, tmp_path):
    """triage trains 3 SFT and 1 DPO steps where the study says 2 and 2; uti keeps the study's."""
    study = _study(tiny_model_dir)
    raw = study.model_dump()
    raw["tasks"][1]["steps"] = {"sft": 3, "dpo": 1}
    run_study(parse_study(raw, "test"), tmp_path / "s")
    store = Store(tmp_path / "s" / "study.db")
    steps = {r["key"]: json.loads(r["config"])["steps"] for r in store.runs()}
    store.close()
    assert steps == {"uti/sft/lr=0.001": 2, "uti/dpo/lr=0.001/beta=0.1": 2,
                     "triage/sft/lr=0.001": 3, "triage/dpo/lr=0.001/beta=0.1": 1}


def test_base_predictions_are_reused_across_studies(tiny_model_dir, tmp_path, monkeypatch):
    """A second study of the same model, test data and dtype reads the base model's test
    predictions from the cache (evaluate/cache.py) instead of predicting them again."""
    import medtune.evaluate.predict as predict_module

    calls = []
    real = predict_module.predict
    monkeypatch.setattr(predict_module, "predict", lambda *a, **k: calls.append(1) or real(*a, **k))
    one_task = [{"task": "uti", "data": {"synthetic": {"n": 40}}, "sizes": {"train": 16, "eval": 4, "dev": 4, "test": 16}}]
    run_study(_study(tiny_model_dir, tasks=one_task, dpo={"enabled": False, "learning_rates": [1e-3], "steps": 1}),
              tmp_path / "first")
    assert len(calls) == 2  # base and SFT on test
    other_lr = {"learning_rates": [3e-3], "steps": 2, "eval_every": 1}
    run_study(_study(tiny_model_dir, tasks=one_task, sft=other_lr,
                     dpo={"enabled": False, "learning_rates": [1e-3], "steps": 1}), tmp_path / "second")
    assert len(calls) == 3  # SFT only: the base predictions came from the cache
    first, second = Store(tmp_path / "first" / "study.db"), Store(tmp_path / "second" / "study.db")
    assert first.predictions("uti", "base", "test") == second.predictions("uti", "base", "test")
    first.close(), second.close()
    # another dtype is another evaluation
    run_study(_study(tiny_model_dir, tasks=one_task, training={"batch_size": 4, "pack_tokens": 256, "dtype": "bf16"},
                     dpo={"enabled": False, "learning_rates": [1e-3], "steps": 1}), tmp_path / "third")
    assert len(calls) == 5
    results = json.loads((tmp_path / "third" / "report" / "results.json").read_text())
    assert results["compute"]["dtype"] == "bf16"


def test_fine_tuned_models_scored_from_base_hidden_states(tiny_model_dir, tmp_path, monkeypatch):
    """With LoRA on the last layer only, the SFT and DPO test evaluations start from the base
    model's hidden states below it (evaluate/prefix.py) instead of a full forward."""
    from medtune.evaluate import prefix

    used = []
    real = prefix.score_from
    monkeypatch.setattr(prefix, "score_from", lambda *a, **k: used.append(real(*a, **k)) or used[-1])
    one_task = [{"task": "uti", "data": {"synthetic": {"n": 40}}, "sizes": {"train": 16, "eval": 4, "dev": 4, "test": 16}}]
    run_study(_study(tiny_model_dir, tasks=one_task, training={"batch_size": 4, "pack_tokens": 256,
                                                               "lora": {"last_layers": 1}}), tmp_path / "s")
    assert len(used) == 2 and all(u is not None for u in used)  # SFT and DPO on test
    store = Store(tmp_path / "s" / "study.db")
    assert all(len(store.predictions("uti", v, "test")) == 16 for v in ("base", "sft", "dpo"))
    store.close()
