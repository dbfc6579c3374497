"""A study killed with SIGKILL (during SFT training, DPO training, evaluation) and run again
ends exactly as a study that was never interrupted: the same results.json (wall-clock fields
aside), the same rows in study.db (none twice), the same checkpoint files on disk.

The study runs through the real CLI in a subprocess on the tiny model, one thread (as the
reference run, so floating-point sums are ordered the same). The kill is triggered by polling
study.db, never by sleeping, and each test checks afterwards that the process really died in
the stage it meant to."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import medtune
from study_state import query as _query
from study_state import snapshot as _snapshot

pytestmark = pytest.mark.integration  # each case starts two Python processes that import torch

STUDY = """
name: kill
seed: 0
model: {model}
tasks:
  - task: uti
    data: {{synthetic: {{n: 80}}}}
    sizes: {{train: 16, eval: 4, dev: 4, test: 40}}
training: {{batch_size: 4, pack_tokens: 256}}
sft: {{learning_rates: [1.0e-3, 1.0e-4], steps: 6, eval_every: 2}}
dpo: {{learning_rates: [1.0e-3], betas: [0.1, 0.5], steps: 6, eval_every: 2}}
selection: {{window: 2}}
statistics: {{bootstrap: 100}}
"""


def _env():
    src = str(Path(medtune.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _command(study_file: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "medtune", "study", "run", str(study_file), "--out", str(out)]


def _run(study_file: Path, out: Path) -> str:
    proc = subprocess.run(_command(study_file, out), env=_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _run_and_kill(study_file: Path, out: Path, trigger: str) -> None:
    """Start the study, SIGKILL it as soon as ``trigger`` (SQL) returns a row."""
    proc = subprocess.Popen(_command(study_file, out), env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        while not _query(out / "study.db", trigger):
            if proc.poll() is not None:
                pytest.fail(f"the study ended before the kill point: {proc.stderr.read()[-3000:]}")
            time.sleep(0.005)  # polling interval, not a wait for the stage
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def study_file(tiny_model_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("kill") / "study.yaml"
    path.write_text(STUDY.format(model=tiny_model_dir))
    return path


@pytest.fixture(scope="module")
def uninterrupted(study_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "study"
    _run(study_file, out)
    return _snapshot(out)


def _running_run(method: str, key: str) -> str:
    return ("SELECT 1 FROM checkpoints c JOIN runs r ON r.id = c.run_id "
            f"WHERE r.method = '{method}' AND r.key = '{key}' AND r.status = 'running' AND c.step >= 2")


@pytest.mark.parametrize("case", ["sft", "dpo", "evaluation"])
def test_killed_study_resumes_to_the_same_result(case, study_file, uninterrupted, tmp_path):
    out = tmp_path / "study"
    db = out / "study.db"
    finished = "SELECT key, finished FROM runs WHERE status = 'done'"
    if case == "sft":  # the second config, after the first finished and was scored on dev
        _run_and_kill(study_file, out, _running_run("sft", "uti/sft/lr=0.0001"))
        assert _query(db, "SELECT status FROM runs WHERE key = 'uti/sft/lr=0.0001'") == [("running",)]
        assert _query(db, "SELECT status FROM runs WHERE key = 'uti/sft/lr=0.001'") == [("done",)]
    elif case == "dpo":
        _run_and_kill(study_file, out, _running_run("dpo", "uti/dpo/lr=0.001/beta=0.1"))
        assert _query(db, "SELECT status FROM runs WHERE method = 'dpo'") == [("running",)]
    else:
        _run_and_kill(study_file, out, "SELECT 1 FROM stages WHERE name = 'uti/sft:test' AND state = 'running'")
        assert _query(db, "SELECT COUNT(*) FROM predictions WHERE variant = 'sft'") == [(0,)]
    done_before = _query(db, finished)
    log = _run(study_file, out)
    # finished runs were not trained again; the interrupted one continued from its checkpoint
    assert set(done_before) <= set(_query(db, finished))
    assert ("resuming from step" in log) == (case != "evaluation"), log
    again = _snapshot(out)
    for name in uninterrupted:
        assert again[name] == uninterrupted[name], name
