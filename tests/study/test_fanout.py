"""Sweep fan-out: which device trains which config, when a sweep fans out at all, and that a
fanned-out sweep stores the runs a sequential one does."""

from __future__ import annotations

import pytest
from tolerance import assert_close

from medtune.config import parse_study
from medtune.store import Store
from medtune.study.fanout import assign, fan_out_devices


def _study(model_dir="m", **over):
    raw = {
        "name": "fan", "seed": 0, "model": str(model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 30}},
                   "sizes": {"train": 12, "eval": 4, "dev": 4, "test": 10}}],
        "training": {"batch_size": 4, "pack_tokens": 256},
        "sft": {"learning_rates": [1e-3, 3e-3, 1e-2], "steps": 2, "eval_every": 1},
        "dpo": {"enabled": False, "learning_rates": [1e-3], "steps": 1},
        "statistics": {"bootstrap": 100},
    }
    raw.update(over)
    return parse_study(raw, "test")


def test_assign_round_robin_covers_every_config_once():
    assert assign(5, ["cuda:0", "cuda:1"]) == [[0, 2, 4], [1, 3]]
    assert assign(2, ["cuda:0", "cuda:1", "cuda:2"]) == [[0], [1], []]
    for n in range(7):
        for k in (1, 2, 3, 8):
            got = sorted(i for part in assign(n, [f"cuda:{d}" for d in range(k)]) for i in part)
            assert got == list(range(n))


def test_fans_out_only_with_several_gpus_one_process_and_several_configs():
    study = _study()
    assert fan_out_devices(study, 3, n_gpus=8, world_size=1) == ["cuda:0", "cuda:1", "cuda:2"]
    assert fan_out_devices(study, 12, n_gpus=2, world_size=1) == ["cuda:0", "cuda:1"]
    assert fan_out_devices(study, 3, n_gpus=0, world_size=1) == []  # CPU: nothing fans out
    assert fan_out_devices(study, 3, n_gpus=1, world_size=1) == []
    assert fan_out_devices(study, 1, n_gpus=8, world_size=1) == []  # one config
    assert fan_out_devices(study, 3, n_gpus=8, world_size=8) == []  # every run already on all GPUs
    assert fan_out_devices(_study(compute={"fan_out": False}), 3, n_gpus=8, world_size=1) == []
    assert fan_out_devices(_study(compute={"strategy": "fsdp"}), 3, n_gpus=8, world_size=1) == []
    assert fan_out_devices(study, 3) == []  # this machine: no GPU


@pytest.mark.integration  # two tiny studies and two spawned workers: over a minute on this CPU
def test_fanned_out_sweep_stores_what_a_sequential_one_does(tiny_model_dir, tmp_path, monkeypatch):
    """The worker processes (two, both on the CPU here: the machinery, not the GPU pinning)
    train the probes; the sweep then finds them done and selects as it would have.

    Losses are compared within tests/tolerance.py's REL, not bit for bit: this test's process
    runs one thread (conftest), a spawned worker torch's default, so oneDNN splits the same
    sums differently (on an AMX Xeon eval losses differ in the 7th digit). Statuses, the
    selected run, the chosen steps and the predicted labels must be equal."""
    from medtune.study import fanout
    from medtune.runner import run_study

    study = _study(tiny_model_dir, dpo={"learning_rates": [1e-3], "betas": [0.1, 0.5], "steps": 2, "eval_every": 1})
    run_study(study, tmp_path / "sequential")
    spawned = []
    real = fanout.train_side_by_side

    def side_by_side(ctx, td, method, start_spec, configs, devices):
        spawned.append((method, start_spec, len(configs)))
        real(ctx, td, method, start_spec, configs, ["cpu", "cpu"])

    monkeypatch.setattr(fanout, "fan_out_devices", lambda study, n: ["cpu", "cpu"])
    monkeypatch.setattr(fanout, "train_side_by_side", side_by_side)
    run_study(study, tmp_path / "fanned")
    assert spawned[0] == ("sft", ("base",), 3) and spawned[1][0] == "dpo" and spawned[1][2] == 2
    assert spawned[1][1][0] == "checkpoint" and len(spawned) == 2

    def stored(out):
        store = Store(out / "study.db")
        runs = {r["key"]: (r["status"], r["selected"], r["chosen_step"], r["dev_metric"],
                           store.curve(r["id"], "eval_loss"), store.curve(r["id"], "train_loss"))
                for r in store.runs()}
        preds = [r["predicted"] for r in store.predictions("uti", "sft", "test")]
        dpo = [r["predicted"] for r in store.predictions("uti", "dpo", "test")]
        store.close()
        return runs, preds, dpo

    a, b = stored(tmp_path / "sequential"), stored(tmp_path / "fanned")
    assert len(a[0]) == 5 and all(v[0] == "done" for v in b[0].values())
    assert a[1] and a[2]  # SFT and DPO predictions on test, equal in both (a == b)
    assert_close(b, a)
