"""FSDP is exact too: 2 processes sharding the tiny model's full fine-tuning (torch's
FullyShardedDataParallel over gloo, on the CPU) give the losses, eval curve and final weights
of 1 process training it whole, for SFT and for DPO (train/fsdp.py).

The 2 processes run tests/train/distributed_worker.py (``fsdp``) under torch.distributed.run;
the single process runs the same function here. Tolerances as in test_distributed.py: the
ranks reduce their gradients in another order than one process sums them."""

from __future__ import annotations

import pytest
import torch
from test_distributed import WORKER, assert_trains_like_one, launch

pytestmark = pytest.mark.integration  # a 2-process launch and a single-process run: about 40 s


@pytest.fixture(scope="module")
def sharded(tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("fsdp")
    proc = launch(2, [str(WORKER), str(tiny_model_dir), str(out), "fsdp"])
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def whole(tiny_model_dir, tmp_path_factory):
    from distributed_worker import run

    out = tmp_path_factory.mktemp("whole")
    run(str(tiny_model_dir), out, grad_accum=4, lora=False)
    return out


@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_fsdp_on_two_processes_trains_like_one(sharded, whole, method, tiny):
    single, single_weights = assert_trains_like_one(sharded, whole, method)
    # Full fine-tuning moved every weight matrix (no adapter): the comparison is not of two
    # untouched models.
    start = tiny.model.state_dict()
    assert not any("lora" in name for name in single_weights)
    moved = [n for n, v in single_weights.items() if v.dim() == 2 and not torch.equal(v, start[n])]
    assert len(moved) == sum(1 for v in single_weights.values() if v.dim() == 2)
    assert single["train_losses"][1:] != single["train_losses"][:1] * (len(single["train_losses"]) - 1)
