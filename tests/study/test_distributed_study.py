"""The study under several processes (gloo, CPU): 2 processes through the CLI's relaunch and 2
"nodes" under their own torchrun launchers (c10d rendezvous) store what one process stores.
Rank 0 alone writes study.db, checkpoints and the reference cache; evaluation is sharded and
gathered in example order; the training curves match to float rounding. Faults: a study
killed (every process, or rank 1 alone) resumes to the uninterrupted result; a dead rank stops
the others, named; a user error inside the ranks exits 2 with its message."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from study_state import comparable, query
from tolerance import assert_close

import medtune
from medtune.store import Store


def _study_file(tmp_path: Path, model_dir: Path) -> Path:
    raw = {
        "name": "tiny-ddp",
        "seed": 0,
        "model": str(model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 40}},
                   "sizes": {"train": 16, "eval": 4, "dev": 5, "test": 15}}],
        "training": {"batch_size": 4, "pack_tokens": 256},
        # Two SFT configs: dev evaluation and checkpoint loading run under 2 processes too.
        # 6 steps, a checkpoint every 2: a kill after the first one lands before the run ends.
        "sft": {"learning_rates": [1e-3, 3e-3], "steps": 6, "eval_every": 2},
        "dpo": {"learning_rates": [1e-3], "betas": [0.1], "steps": 6, "eval_every": 2},
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


@pytest.fixture(scope="module")
def study_file(tiny_model_dir, tmp_path_factory) -> Path:
    return _study_file(tmp_path_factory.mktemp("study"), tiny_model_dir)


@pytest.fixture(scope="module")
def one(study_file, tmp_path_factory) -> Path:
    """The study in one process: what every distributed run is compared with."""
    out = tmp_path_factory.mktemp("one") / "study"
    proc = _cli("study", "run", str(study_file), "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def two(study_file, tmp_path_factory) -> Path:
    """The study under 2 processes (the CLI relaunches itself), never interrupted."""
    out = tmp_path_factory.mktemp("two") / "study"
    proc = _cli("study", "run", str(study_file), "--out", str(out), "--processes", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _files(out: Path) -> list[str]:
    """The study directory's files; reference files are named by the SFT weights' hash, which
    float rounding changes between process counts: they are compared by count. TensorBoard
    event files are named by the time and host that wrote them: compared by their folder."""
    def name(p: Path) -> str:
        rel = p.relative_to(out)
        return (rel.parent / "events.out.tfevents").as_posix() if p.name.startswith("events.out.tfevents.") else rel.as_posix()

    return sorted({name(p) for p in out.rglob("*")
                   if p.is_file() and p.parent.name not in ("report", "reference") and p.name not in ("study.db", ".lock")})


def _same_study(a: Path, b: Path) -> None:
    """``b`` stored what ``a`` did: the same runs, choices and predicted labels, curves and
    results.json floats within tests/tolerance.py's REL (another process count sums in
    another order), the same files."""
    sa, sb = _stored(a), _stored(b)
    assert sa["runs"] == sb["runs"] and len(sa["runs"]) == 3
    assert_close(sb["curves"], sa["curves"])
    assert_close(sb["train"], sa["train"])
    for key, rows in sa["predictions"].items():
        other = sb["predictions"][key]
        assert rows, key
        assert [r["example_id"] for r in other] == [r["example_id"] for r in rows]  # example order
        assert [r["predicted"] for r in other] == [r["predicted"] for r in rows]
    assert _files(a) == _files(b)
    assert len(list((a / "reference").iterdir())) == len(list((b / "reference").iterdir())) == 2
    assert_close(comparable(json.loads((b / "report" / "results.json").read_text())),
                 comparable(json.loads((a / "report" / "results.json").read_text())))


@pytest.mark.integration  # two CLI studies, one of them on 2 processes: about a minute
def test_study_on_two_processes_stores_what_one_does(one, two):
    _same_study(one, two)
    assert sorted(p.name for p in (two / "reference").iterdir())[0].endswith(".safetensors")
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


def _launcher_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(Path(medtune.__file__).parents[1]), OMP_NUM_THREADS="1")


def two_nodes_commands(study_file: Path, out: Path, port: int, run_id: str) -> list[list[str]]:
    """What docs/scaling.md tells a user to run on each of two nodes (one process each here;
    ``--nproc-per-node 8`` on 8-GPU nodes), with the rendezvous on this machine's loopback
    where a cluster names the first node."""
    return [[sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", "1",
             "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", run_id,
             "-m", "medtune", "study", "run", str(study_file), "--out", str(out)] for _ in range(2)]


@pytest.mark.integration  # two torchrun launchers, one process each: about 40 s here
def test_two_nodes_store_what_one_process_does(one, study_file, tmp_path):
    """A real multi-node rendezvous (c10d, as torchrun and accelerate launch do on a cluster),
    both "nodes" on this machine: two launchers that know of each other only through the
    rendezvous endpoint. Rank 0 writes, the other node's rank reads the checkpoints back."""
    from medtune.study.launch import free_port

    out = tmp_path / "study"
    procs = [subprocess.Popen(cmd, env=_launcher_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for cmd in two_nodes_commands(study_file, out, free_port(), "two-nodes")]
    logs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(log[-3000:] for log in logs)
    assert sum("report:" in log for log in logs) == 1  # one rank (rank 0) reports
    _same_study(one, out)
    assert yaml.safe_load((out / "study.yaml").read_text())["compute"]["processes"] == 1  # launchers decide


@pytest.mark.integration  # two torchrun launchers stopped early: about 20 s
def test_a_node_whose_rank_dies_stops_the_other(study_file, tmp_path):
    """Across nodes no launcher sees every rank: when node B's rank is killed, node A's rank
    finds its connection to it closed at the next collective and exits, naming itself (a peer
    that hangs instead is caught by the process group's timeout, compute.timeout_minutes)."""
    from medtune.study.launch import free_port

    out = tmp_path / "study"
    logs = [tmp_path / f"node-{i}.log" for i in range(2)]
    procs = []
    for cmd, log in zip(two_nodes_commands(study_file, out, free_port(), "dies"), logs):
        with log.open("w") as sink:
            procs.append(subprocess.Popen(cmd, env=_launcher_env(), stdout=sink, stderr=subprocess.STDOUT))
    try:
        while not query(out / "study.db", "SELECT 1 FROM checkpoints"):
            assert all(p.poll() is None for p in procs), "\n".join(log.read_text()[-2000:] for log in logs)
            time.sleep(0.005)  # polling interval, not a wait for the stage
        ranks = {rank: pid for p in procs for rank, pid in _children(p.pid).items()}
        os.kill(ranks[1], signal.SIGKILL)
        codes = [p.wait(timeout=120) for p in procs]  # neither launcher waits forever
    finally:
        for p in procs:
            if p.poll() is None:
                for pid in (*_children(p.pid).values(), p.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                p.wait()
    text = "".join(log.read_text() for log in logs)
    assert codes[0] != 0 and codes[1] != 0, text[-3000:]
    assert "error: rank 0: lost contact with the other processes" in text, text[-3000:]


def _children(pid: int) -> dict[int, int]:
    """{RANK: pid} of the processes ``pid`` started (the launcher's ranks), read from /proc."""
    ranks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                env = (stat.parent / "environ").read_bytes().split(b"\0")
                rank = next(int(e[5:]) for e in env if e.startswith(b"RANK="))
                ranks[rank] = int(stat.parent.name)
        except (OSError, StopIteration, IndexError, ValueError):
            continue  # a process that ended meanwhile, or not a rank
    return ranks


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _relaunch_and_kill(study_file: Path, out: Path, trigger: str, ranks: str) -> tuple[int, str]:
    """``--processes 2``; once ``trigger`` (SQL on study.db) returns a row, SIGKILL every process
    of the study (``ranks="all"``: the launcher, which takes both ranks with it, as a node
    going down) or rank 1 alone (``"one"``). Returns the launcher's exit code and its stderr."""
    log = out.parent / "killed.log"
    with log.open("w") as sink:  # a file, not a pipe: a full pipe would stall the study
        proc = subprocess.Popen([sys.executable, "-m", "medtune", "study", "run", str(study_file), "--out", str(out),
                                 "--processes", "2"], env=_launcher_env(), stdout=subprocess.DEVNULL, stderr=sink)
    try:
        while not query(out / "study.db", trigger):
            if proc.poll() is not None:
                pytest.fail(f"the study ended before the kill point: {log.read_text()[-3000:]}")
            time.sleep(0.005)  # polling interval, not a wait for the stage
        children = _children(proc.pid)
        assert sorted(children) == [0, 1]
        if ranks == "all":
            # The launcher alone (it starts each rank in a session of its own): the kernel
            # SIGKILLs the ranks as it dies (study/launch.py, die_with_launcher).
            os.kill(proc.pid, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while any(_alive(pid) for pid in children.values()):
                assert time.monotonic() < deadline, "ranks outlived their launcher"
                time.sleep(0.05)
        else:
            os.kill(children[1], signal.SIGKILL)
        # The surviving rank must not wait for its dead peer: the launcher stops it at once.
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:  # the test failed: leave nothing running
            for pid in (*_children(proc.pid).values(), proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, log.read_text()


@pytest.mark.integration  # a killed and a resumed 2-process study, twice: about 2 minutes
@pytest.mark.parametrize("ranks", ["all", "one"])
def test_killed_two_process_study_resumes_to_the_same_result(ranks, study_file, two, tmp_path):
    out = tmp_path / "study"
    # during the second SFT config (all) or DPO (one), after a checkpoint was recorded
    key = "uti/sft/lr=0.003" if ranks == "all" else "uti/dpo/lr=0.001/beta=0.1"
    code, stderr = _relaunch_and_kill(study_file, out, "SELECT 1 FROM checkpoints c JOIN runs r ON "
                                      f"r.id = c.run_id WHERE r.key = '{key}' AND r.status = 'running' AND c.step >= 2",
                                      ranks)
    assert query(out / "study.db", f"SELECT status FROM runs WHERE key = '{key}'") == [("running",)]
    if ranks == "all":
        assert code == -signal.SIGKILL
    else:
        assert code == 1, stderr[-3000:]
        assert "error: rank 1 was killed by SIGKILL" in stderr
        assert "Traceback" not in stderr, stderr[-3000:]
    resumed = _cli("study", "run", str(study_file), "--out", str(out), "--processes", "2")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    _same_study(two, out)


@pytest.mark.integration  # one relaunch that fails in its ranks: about 15 s
def test_error_inside_the_ranks_exits_2_with_the_message(study_file, tmp_path):
    """Found after launch, so the relaunching process's preflight could not catch it: the model
    directory is missing (each rank loads the model). The message once, exit 2, no traceback."""
    raw = yaml.safe_load(study_file.read_text())
    raw["model"] = str(tmp_path / "no-such-model")
    bad = tmp_path / "study.yaml"
    bad.write_text(yaml.safe_dump(raw))
    proc = _cli("study", "run", str(bad), "--out", str(tmp_path / "o"), "--processes", "2")
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stderr.count("no-such-model") == 1 and "error: model" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "ChildFailedError" not in proc.stderr
