"""benchmarks/dpo_cost.py runs end to end on the tiny model and ends with its JSON line.
A smoke test: the figures are printed, never asserted (no timing in tests)."""

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="the benchmark runs TRL side by side; install the test extra")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "dpo_cost.py"


def test_dpo_cost_runs_and_prints_json(tiny_model_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TQDM_DISABLE", "1")
    spec = importlib.util.spec_from_file_location("dpo_cost", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--model", str(tiny_model_dir), "--steps", "1", "--warmup", "1", "--gemm-size", "128"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    for key in ("ours_dpo_to_sft", "trl_dpo_to_ours_dpo", "throughput_fraction_of_limit"):
        assert figures[key] > 0, key
    assert figures["n_pairs"] == 64 and figures["steps"] == 1
