"""benchmarks/dpo_cost.py runs end to end on the tiny model and ends with its JSON line.
A smoke test: the figures are printed, never asserted (no timing in tests)."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "dpo_cost.py"


def _load():
    spec = importlib.util.spec_from_file_location("dpo_cost", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_dpo_cost_runs_and_prints_json(tiny_model_dir, tmp_path, monkeypatch, capsys, dtype):
    pytest.importorskip("trl", reason="the benchmark runs TRL side by side; install the bench extra")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TQDM_DISABLE", "1")
    _load().main(["--model", str(tiny_model_dir), "--steps", "1", "--warmup", "1", "--gemm-size", "128",
                  "--dtype", dtype, "--eval-examples", "4"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    for key in ("ours_dpo_to_sft", "trl_dpo_to_ours_dpo", "throughput_fraction_of_limit", "gemm_gflops_fp32",
                "gemm_gflops_bf16", "eval_tokens_per_s", "eval_fraction_of_limit", "eval_generate_new_tokens_per_s"):
        assert figures[key] > 0, key
    other = "fp32" if dtype == "bf16" else "bf16"
    assert figures[f"ours_sft_{other}_to_{dtype}"] > 0
    assert figures["dtype"] == dtype and figures["cpu"]
    assert figures["gemm_gflops"] == figures[f"gemm_gflops_{dtype}"]  # the limit is in the type trained in
    assert figures["n_pairs"] == 64 and figures["steps"] == 1
    assert figures["ours_sft_last1_frozen_to_full"] > 0  # the tiny model: LoRA on its last layer


def test_frozen_only_compares_the_two_ways_of_a_step(tiny_model_dir, capsys):
    _load().main(["--model", str(tiny_model_dir), "--steps", "1", "--warmup", "1", "--frozen-only"])
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["ours_sft_last1_s_per_step"] > 0 and figures["ours_sft_last1_frozen_s_per_step"] > 0
    assert figures["ours_sft_last1_frozen_fill_groups"] == 64 and figures["cpu_flags"]


def test_without_trl_says_how_to_install_it(monkeypatch, capsys):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trl" else find_spec(name, *a))
    with pytest.raises(SystemExit) as exit_:
        _load().main([])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "make bench" in err and "pip install -e '.[bench]'" in err
