"""The real CLI, in a subprocess, on the bundled model (converted from its GGUF into a tmp
MEDTUNE_HOME), at a tiny size: the path `make demo` takes, minus the minutes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

TINY_TASKS = (
    "tasks=[{task: uti, data: {synthetic: {n: 40}}, sizes: {train: 16, eval: 4, dev: 4, test: 16}},"
    " {task: triage, data: {synthetic: {n: 40}}, sizes: {train: 16, eval: 4, dev: 4, test: 16}}]"
)


def _medtune(*args, env=None, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "medtune", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


def _env(home):
    return {**os.environ, "MEDTUNE_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def test_demo_tiny_on_bundled_model(home, tmp_path):
    out = tmp_path / "demo"
    proc = _medtune(
        "demo", "--out", str(out),
        "--set", TINY_TASKS,
        "--set", "sft.steps=2", "--set", "sft.eval_every=1",
        "--set", "dpo.steps=2", "--set", "dpo.eval_every=1",
        "--set", "training.batch_size=4",
        "--set", "statistics.bootstrap=100",
        env=_env(home),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "report:" in proc.stdout and str(out / "report" / "index.html") in proc.stdout.replace("\n", "")
    results = json.loads((out / "report" / "results.json").read_text())
    assert set(results["tasks"]) == {"uti", "triage"}
    for t in results["tasks"].values():
        assert set(t["variants"]) == {"base", "sft", "dpo"}
        assert all("p" in c and "p_adjusted" in c for c in t["comparisons"])
    assert (home / "models" / "smollm2-135m-instruct" / "model.safetensors").exists()
    # LoRA on the last 8 of 30 layers: SFT and DPO were scored from the base model's hidden
    # states (evaluate/prefix.py), which passed their check against a full forward
    assert "scored by a full forward" not in proc.stdout + proc.stderr
    assert results["compute"]["dtype"] in ("fp32", "bf16")
    html = (out / "report" / "index.html").read_text()
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")


def test_bad_study_file_exits_2_naming_keys(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmodel: m\ntasks: []\nsft: {learning_rates: [1e-4], steps: 1, stepz: 3}\n")
    proc = _medtune("study", "validate", str(bad))
    assert proc.returncode == 2
    assert "sft.stepz: unknown key" in proc.stderr and "dpo: Field required" in proc.stderr


def test_unknown_model_exits_2(tmp_path, home):
    proc = _medtune("study", "run", str(Path(__file__).resolve().parents[2] / "examples" / "quick.yaml"), "--out", str(tmp_path / "o"),
                    "--set", "model=/no/such/model", env=_env(home),)
    assert proc.returncode == 2, proc.stderr
    assert "/no/such/model" in proc.stderr and "bundled model" in proc.stderr


def test_help_is_fast_and_lists_groups():
    proc = _medtune("--help")
    assert proc.returncode == 0
    for word in ("demo", "study", "data"):
        assert word in proc.stdout
