"""Runs you can watch: a study's trained runs as TensorBoard event files (read back with
TensorBoard's own EventAccumulator) and as MLflow runs in a local file store."""

from __future__ import annotations

import stat

import pytest

from medtune.store import Store
from medtune.runner import run_study
from tiny_studies import synthetic, tiny_study


def _study(model_dir, **over):
    return tiny_study(model_dir, **{"name": "watched", "seed": 3, "tasks": [synthetic("uti", 24, 8, 4, 2, 4)],
                         "sft": {"learning_rates": [1e-3], "steps": 3, "eval_every": 1},
                         "dpo": {"learning_rates": [1e-3], "betas": [0.1], "steps": 2, "eval_every": 2}, **over})


def _same_curve(got, want):
    """Steps equal, values equal to float32 (event files store float32)."""
    assert [s for s, _ in got] == [s for s, _ in want]
    assert [v for _, v in got] == pytest.approx([v for _, v in want], rel=1e-6)


def _accumulator(path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_event_files_hold_every_runs_curves(tiny_model_dir, tmp_path):
    out = tmp_path / "study"
    run_study(_study(tiny_model_dir), out)
    store = Store(out / "study.db")
    runs = {r["key"]: r for r in store.runs()}
    assert set(runs) == {"uti/sft/lr=0.001", "uti/dpo/lr=0.001/beta=0.1"}
    for key, row in runs.items():
        acc = _accumulator(out / "tensorboard" / key)
        assert set(acc.Tags()["scalars"]) == {"train/loss", "eval/loss"}
        train = [(e.step, e.value) for e in acc.Scalars("train/loss")]
        _same_curve(train, store.curve(row["id"], "train_loss"))
        evals = [(e.step, e.value) for e in acc.Scalars("eval/loss")]
        _same_curve(evals, store.curve(row["id"], "eval_loss"))
        [settings] = acc.Tensors("settings/text_summary")
        text = settings.tensor_proto.string_val[0].decode()
        assert '"seed": 3' in text and f'"run_key": "{key}"' in text and '"learning_rate": 0.001' in text
        for f in (out / "tensorboard" / key).iterdir():
            assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert [s for s, _ in store.curve(runs["uti/sft/lr=0.001"]["id"], "train_loss")] == [1, 2, 3]
    store.close()


def test_tensorboard_off_and_mlflow_file_store(tiny_model_dir, tmp_path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    out = tmp_path / "study"
    run_study(_study(tiny_model_dir, tracking={"tensorboard": False, "mlflow": uri}), out)
    assert not (out / "tensorboard").exists()
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("watched")
    runs = {r.data.tags["medtune.run_key"]: r for r in client.search_runs([exp.experiment_id])}
    assert set(runs) == {"uti/sft/lr=0.001", "uti/dpo/lr=0.001/beta=0.1"}
    sft = runs["uti/sft/lr=0.001"]
    assert sft.info.status == "FINISHED"
    assert sft.data.params["seed"] == "3" and sft.data.params["method"] == "sft"
    assert sft.data.params["lora.r"] == "16" and float(sft.data.params["learning_rate"]) == 1e-3
    history = client.get_metric_history(sft.info.run_id, "train_loss")
    store = Store(out / "study.db")
    sft_row = store.run("uti/sft/lr=0.001")
    _same_curve(sorted((m.step, m.value) for m in history), store.curve(sft_row["id"], "train_loss"))
    evals = client.get_metric_history(sft.info.run_id, "eval_loss")
    _same_curve(sorted((m.step, m.value) for m in evals), store.curve(sft_row["id"], "eval_loss"))
    store.close()


def test_mlflow_missing_is_a_user_error(monkeypatch, tmp_path):
    import builtins

    from medtune.errors import UserError
    from medtune.study.tracking import RunTracker

    real_import = builtins.__import__

    def no_mlflow(name, *args, **kwargs):
        if name.startswith("mlflow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mlflow)
    with pytest.raises(UserError, match="pip install mlflow-skinny"):
        RunTracker(None, (tmp_path / "m").as_uri(), "x", {"run_key": "k"})


def test_a_resumed_run_continues_its_mlflow_run(tmp_path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    from medtune.study.tracking import RunTracker

    uri = (tmp_path / "mlruns").as_uri()
    settings = {"run_key": "uti/sft/lr=0.001", "seed": 0}
    first = RunTracker(None, uri, "resumed", settings)
    first.train_loss(1, 0.9)
    first.close(finished=False)  # killed after step 1
    second = RunTracker(None, uri, "resumed", settings)
    second.train_loss(2, 0.8)
    second.close(finished=True)
    client = MlflowClient(tracking_uri=uri)
    [run] = client.search_runs([client.get_experiment_by_name("resumed").experiment_id])
    assert run.info.status == "FINISHED"
    assert sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "train_loss")) == [(1, 0.9), (2, 0.8)]
