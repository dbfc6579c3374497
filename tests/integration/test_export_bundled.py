"""`medtune export` through the real CLI on a tiny study of the bundled model: the selected
model, merged, reloads in a separate process with transformers alone and gives the study's
recorded test answers; the adapter export loads with PEFT."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
HERE = Path(__file__).parent


def _medtune(*args, env, timeout=1200):
    return subprocess.run([sys.executable, "-m", "medtune", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_export_bundled_study(tmp_path):
    env = {**os.environ, "MEDTUNE_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = tmp_path / "demo"
    proc = _medtune("demo", "--out", str(out),
                    "--set", "tasks=[{task: uti, data: {synthetic: {n: 40}}, sizes: {train: 16, eval: 4, dev: 4, test: 8}}]",
                    "--set", "sft.steps=2", "--set", "sft.eval_every=2", "--set", "dpo.steps=2",
                    "--set", "dpo.eval_every=2", "--set", "training.batch_size=4", "--set", "statistics.bootstrap=100",
                    "--set", "evaluation.mode=generate", "--set", "evaluation.max_new_tokens=4", env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    deploy = json.loads((out / "report" / "results.json").read_text())["tasks"]["uti"]["deploy"]

    clock = time.perf_counter()
    proc = _medtune("export", str(out), "--variant", "dpo", "--out", str(tmp_path / "dpo"), env=env)
    seconds = time.perf_counter() - clock
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"export of the bundled model (merged DPO, CLI process included): {seconds:.1f} s")
    proc = _medtune("export", str(out), "--variant", "selected", "--format", "adapter" if deploy != "base" else "merged",
                    "--out", str(tmp_path / "selected"), env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    card = (tmp_path / "selected" / "README.md").read_text()
    assert "base_model: HuggingFaceTB/SmolLM2-135M-Instruct" in card

    import sqlite3

    db = sqlite3.connect(out / "study.db")
    prompts = dict(db.execute("SELECT example_id, prompt FROM prompts WHERE task='uti'"))
    recorded = dict(db.execute("SELECT example_id, text FROM predictions WHERE task='uti' AND variant='dpo' AND split='test'"))
    db.close()
    (tmp_path / "cases.json").write_text(json.dumps([{"id": i, "prompt": prompts[i]} for i in sorted(recorded)]))
    plain_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(HERE.parent / "export" / "plain_transformers.py"), str(tmp_path / "dpo"),
                           str(tmp_path / "cases.json")], capture_output=True, text=True, env=plain_env, cwd=tmp_path,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["modules"] == [] and got["answers"] == recorded
