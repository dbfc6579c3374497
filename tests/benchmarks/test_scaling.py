"""benchmarks/scaling.py: on a machine without a GPU it says so and exits 0 with a JSON line;
the device counts it measures where GPUs are present."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scaling.py"


@pytest.fixture()
def scaling():
    spec = importlib.util.spec_from_file_location("scaling", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_gpu_says_so_and_exits_0(scaling, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the benchmark would run")
    assert scaling.main([]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert "no GPU present" in out[0]
    assert json.loads(out[-1]) == {"benchmark": "scaling", "gpus": 0, "skipped": "no GPU present"}


def test_device_counts(scaling):
    assert scaling.device_counts(0) == []
    assert scaling.device_counts(1) == [1]
    assert scaling.device_counts(8) == [1, 2, 4, 8]
    assert scaling.device_counts(6) == [1, 2, 4, 6]


def test_worker_runs_sft_and_dpo(scaling, tiny_model_dir, tmp_path):
    """The per-run worker (what each torch.distributed.run process executes), in one process:
    it trains both methods and reports a per-step figure for each (printed, not asserted on)."""
    out = tmp_path / "result.json"
    assert scaling.main(["--worker", str(out), "--model", str(tiny_model_dir), "--steps", "3", "--warmup", "1",
                         "--batch", "4", "--pack-tokens", "256", "--dtype", "float32"]) == 0
    result = json.loads(out.read_text())
    assert result["processes"] == 1
    assert result["sft_seconds_per_step"] > 0 and result["dpo_seconds_per_step"] > 0
