"""Data-parallel training is exact: 2 processes (gloo, CPU) give the losses, eval curve and
final weights of 1 process with the same global batch, for SFT and for DPO with packing.

The 2 processes run tests/train/distributed_worker.py under ``torch.distributed.run`` on
loopback; the single process runs the same function here. Tolerances are float32 rounding:
the ranks sum their shares in another order than one process does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import medtune
from medtune.train import distributed

WORKER = Path(__file__).with_name("distributed_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(nproc: int, script: list[str], timeout: int = 240) -> subprocess.CompletedProcess:
    """``script`` under torch.distributed.run with ``nproc`` local processes on loopback."""
    env = dict(os.environ, PYTHONPATH=str(Path(medtune.__file__).parents[1]), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}", "--nnodes=1",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}", *script]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def two_processes(tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    proc = launch(2, [str(WORKER), str(tiny_model_dir), str(out)])
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def one_process(tiny_model_dir, tmp_path_factory):
    from distributed_worker import run

    out = tmp_path_factory.mktemp("single")
    run(str(tiny_model_dir), out, grad_accum=4)
    return out


def _load(out: Path, method: str, rank: int) -> tuple[dict, dict[str, torch.Tensor]]:
    from safetensors.torch import load_file

    return (json.loads((out / f"{method}-{rank}.json").read_text()),
            load_file(str(out / f"{method}-{rank}.safetensors")))


def assert_trains_like_one(multi_dir: Path, single_dir: Path, method: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """Every rank of the 2-process run in ``multi_dir`` saw the train losses, eval curve, token
    count and final weights of the single process in ``single_dir``; returns the latter's."""
    single, single_weights = _load(single_dir, method, 0)
    assert single["world_size"] == 1
    for rank in (0, 1):
        multi, multi_weights = _load(multi_dir, method, rank)
        assert multi["world_size"] == 2
        assert multi["train_losses"] == pytest.approx(single["train_losses"], rel=1e-5)
        assert [s for s, _ in multi["curve"]] == [s for s, _ in single["curve"]] == [0, 2, 4]
        assert [v for _, v in multi["curve"]] == pytest.approx([v for _, v in single["curve"]], rel=1e-5)
        assert multi["tokens"] == single["tokens"]
        assert multi_weights.keys() == single_weights.keys()
        for name, value in single_weights.items():
            # atol: 0.2% of one AdamW step (lr 5e-3); Adam divides by sqrt(v), which makes
            # rounding noise on near-zero gradients a visible, yet tiny, weight difference.
            torch.testing.assert_close(multi_weights[name], value, rtol=1e-5, atol=1e-5)
    return single, single_weights


@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_two_processes_train_like_one(two_processes, one_process, method):
    single, _ = assert_trains_like_one(two_processes, one_process, method)
    # Training moved the weights and the losses: the comparison is not of two untouched models.
    assert single["train_losses"][-1] < single["train_losses"][0]


def test_shards_cover_items_in_order():
    """Contiguous shards: every item once, in order, however the count divides."""
    for n in range(0, 12):
        for size in (1, 2, 3, 5):
            cuts = [distributed.bounds(n, size, r) for r in range(size)]
            assert [i for a, b in cuts for i in range(a, b)] == list(range(n))


def test_single_process_collectives_are_identity():
    assert not distributed.active() and distributed.world_size() == 1 and distributed.is_main()
    assert distributed.shard_map(lambda xs: [x * 2 for x in xs], [1, 2, 3]) == [2, 4, 6]
    assert distributed.run_on_main(lambda: 7) == 7 and distributed.gather(3) == [3]
