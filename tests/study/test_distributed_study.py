"""The study under 2 processes (gloo, CPU) through the CLI's relaunch: it stores what one
process stores. Rank 0 alone writes study.db, checkpoints and the reference cache; evaluation
is sharded and gathered in example order; the training curves match to float rounding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import medtune
from medtune.study.store import Store


def _study_file(tmp_path: Path, model_dir: Path) -> Path:
    raw = {
        "name": "tiny-ddp",
        "seed": 0,
        "model": str(model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 40}},
                   "sizes": {"train": 16, "eval": 4, "dev": 5, "test": 15}}],
        "training": {"batch_size": 4, "pack_tokens": 256},
        # Two SFT configs: dev evaluation and checkpoint loading run under 2 processes too.
        "sft": {"learning_rates": [1e-3, 3e-3], "steps": 2, "eval_every": 1},
        "dpo": {"learning_rates": [1e-3], "betas": [0.1], "steps": 2, "eval_every": 1},
        "statistics": {"bootstrap": 100},
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(medtune.__file__).parents[1]), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "medtune", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def _stored(out: Path) -> dict:
    store = Store(out / "study.db")
    try:
        runs = {r["key"]: r for r in store.runs()}
        return {
            "runs": {k: (r["status"], r["selected"], r["chosen_step"]) for k, r in runs.items()},
            "curves": {k: store.curve(r["id"], "eval_loss") for k, r in runs.items()},
            "train": {k: store.curve(r["id"], "train_loss") for k, r in runs.items()},
            "predictions": {(v, s): store.predictions("uti", v, s)
                            for v, s in [("base", "test"), ("sft", "test"), ("dpo", "test"),
                                         ("uti/sft/lr=0.001", "dev"), ("uti/sft/lr=0.003", "dev")]},
        }
    finally:
        store.close()


@pytest.mark.integration  # two CLI studies, one of them on 2 processes: about a minute
def test_study_on_two_processes_stores_what_one_does(tiny_model_dir, tmp_path):
    study = _study_file(tmp_path, tiny_model_dir)
    one, two = tmp_path / "one", tmp_path / "two"
    for out, extra in ((one, []), (two, ["--processes", "2"])):
        proc = _cli("study", "run", str(study), "--out", str(out), *extra)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    a, b = _stored(one), _stored(two)
    assert a["runs"] == b["runs"] and len(a["runs"]) == 3
    for key in a["curves"]:
        for name in ("curves", "train"):
            assert [s for s, _ in a[name][key]] == [s for s, _ in b[name][key]]
            assert [v for _, v in b[name][key]] == pytest.approx([v for _, v in a[name][key]], rel=1e-5)
    for key, rows in a["predictions"].items():
        other = b["predictions"][key]
        assert rows, key
        assert [r["example_id"] for r in other] == [r["example_id"] for r in rows]  # example order
        assert [r["predicted"] for r in other] == [r["predicted"] for r in rows]
    # The same files: one writer, nothing left behind by the other rank. (Reference files are
    # named by the SFT weights' hash, which float rounding changes: compared by count.)
    def files(out):
        return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                      if p.is_file() and p.parent.name not in ("report", "reference") and p.name != "study.db")
    assert files(one) == files(two)
    assert sorted(p.name for p in (two / "reference").iterdir())[0].endswith(".safetensors")
    assert len(list((two / "reference").iterdir())) == len(list((one / "reference").iterdir())) == 2
    results = json.loads((two / "report" / "results.json").read_text())
    assert results["tasks"]["uti"]["n_test"] == 15
    assert yaml.safe_load((two / "study.yaml").read_text())["compute"]["processes"] == 2


def test_processes_must_divide_the_batch(tiny_model_dir, tmp_path):
    proc = _cli("study", "run", str(_study_file(tmp_path, tiny_model_dir)), "--out", str(tmp_path / "o"),
                "--processes", "3")
    assert proc.returncode == 2
    assert "batch_size 4 does not split evenly over compute.processes 3" in proc.stdout + proc.stderr


def test_bad_data_exits_2_before_any_process_starts(tiny_model_dir, tmp_path):
    study = _study_file(tmp_path, tiny_model_dir)
    raw = yaml.safe_load(study.read_text())
    raw["tasks"][0]["data"] = {"path": str(tmp_path / "missing.jsonl")}
    study.write_text(yaml.safe_dump(raw))
    proc = _cli("study", "run", str(study), "--out", str(tmp_path / "o"), "--processes", "2")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "missing.jsonl" in proc.stdout + proc.stderr
    assert "torch.distributed" not in proc.stdout + proc.stderr and not (tmp_path / "o").exists()
