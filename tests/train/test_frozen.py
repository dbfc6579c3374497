"""Training from the frozen lower layers' states (train/frozen.py) computes what the full
forward computes, in fp32 within tests/tolerance.py: losses, eval losses, LoRA gradients and
the trained weights; and the lower layers run once per sequence, not once per step."""

import copy

import pytest
import torch
from accelerate import Accelerator

from medtune.tasks import get_task
from medtune.tasks.rejected import fill_rejected
from medtune.train.batching import dpo_groups, sft_groups
from medtune.train.frozen import FrozenStates, frozen_layers
from medtune.train.loop import _step, train
from medtune.train.packing import pack, plan_rows, sequence_logprobs
from medtune.train.settings import LoraSettings, TrainSettings, apply_lora
from tolerance import REL, assert_close

LAST = LoraSettings(last_layers=1)  # the tiny model has 2 layers: layer 0 is frozen


@pytest.fixture()
def examples(tiny):
    return fill_rejected(get_task("uti").generate(24, 3), get_task("uti"), seed=0)


def _groups(tiny, examples, method):
    make = sft_groups if method == "sft" else dpo_groups
    return make(tiny.tokenizer, get_task("uti"), examples, 512)


def _settings(method, **kw):
    # pack_tokens 400: several groups share a row, so states are laid out at other offsets than
    # they were computed at; 20 training groups and 8 steps of 4: every group is drawn again.
    base = dict(method=method, learning_rate=5e-3, steps=8, batch_size=4, eval_every=4, beta=0.5,
                pack_tokens=400, lora=LAST, seed=1)
    return TrainSettings(**{**base, **kw})


@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_training_from_the_states_equals_the_full_forward(tiny, examples, method):
    groups = _groups(tiny, examples, method)
    runs = {}
    for reuse in (False, True):
        frozen = FrozenStates(tiny.model, 1, "fp32") if reuse else None
        result = train(copy.deepcopy(tiny.model), groups[:20], groups[20:], _settings(method),
                       frozen=frozen, reuse_frozen=reuse)
        runs[reuse] = (result, frozen)
    (full, _), (cached, frozen) = runs[False], runs[True]
    assert_close(cached.train_losses, full.train_losses)
    assert_close([p.eval_loss for p in cached.curve], [p.eval_loss for p in full.curve])
    assert cached.train_losses[-1] < cached.train_losses[0]  # it trained: not two untouched models
    full_w, cached_w = full.model.state_dict(), cached.model.state_dict()
    for name, value in full_w.items():
        # atol as in test_distributed.py: Adam turns rounding noise on near-zero gradients
        # into a tiny, visible weight difference
        torch.testing.assert_close(cached_w[name], value, rtol=REL, atol=1e-5)
    # every group the run used went through the lower layers once: 8 steps x 4 draws of 20
    # training groups repeat some; the 4 eval groups were scored 3 times
    assert frozen.checked is True
    assert frozen.groups_computed == len(frozen.states) <= 20 + 4
    assert len(frozen.states) > 4


@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_lora_gradients_equal_with_and_without_the_states(tiny, examples, method):
    from medtune.train.refcache import Reference, compute_logprobs

    groups = _groups(tiny, examples, method)[:8]
    indices = [0, 3, 5, 6, 7]
    settings = _settings(method, pack_tokens=300)
    ref = None
    if method == "dpo":
        ref = Reference(compute_logprobs(tiny.model, groups, indices, 300), torch.zeros(0, 2))
    grads = []
    for frozen in (None, FrozenStates(tiny.model, 1, "fp32")):
        model = apply_lora(copy.deepcopy(tiny.model), LAST, seed=0)
        with torch.no_grad():  # B = 0 at init makes LoRA A's gradient vanish; move off it
            for n, p in model.named_parameters():
                if "lora_B" in n:
                    p.normal_(0, 0.02, generator=torch.Generator().manual_seed(1))
        loss, _ = _step(model, Accelerator(cpu=True), groups, indices, settings, ref, frozen)
        grads.append((loss, {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}))
    (loss_full, full), (loss_cached, cached) = grads
    assert loss_cached == pytest.approx(loss_full, rel=REL)
    assert full.keys() == cached.keys() and all("lora_" in n and ".layers.1." in n for n in full)
    for n in full:
        torch.testing.assert_close(cached[n], full[n], rtol=REL, atol=1e-7)


def test_the_reference_pass_keeps_the_states_dpo_then_reuses(tiny, examples):
    """The DPO reference log-probs from the states are the full forward's bit for bit (same
    packing), and the DPO steps then run no lower layer again."""
    from medtune.train.refcache import compute_logprobs

    groups = _groups(tiny, examples, "dpo")
    frozen = FrozenStates(tiny.model, 1, "fp32")
    indices = list(range(20))
    plain = compute_logprobs(tiny.model, groups, indices, 400)
    kept = compute_logprobs(tiny.model, groups, indices, 400, frozen=frozen)
    assert torch.equal(kept[:20], plain[:20])
    assert frozen.groups_computed == 20
    train(copy.deepcopy(tiny.model), groups[:20], [], _settings("dpo", eval_every=8), frozen=frozen)
    assert frozen.groups_computed == 20


def test_states_that_are_not_the_models_are_caught_and_not_used(tiny, examples):
    groups = _groups(tiny, examples, "sft")[:6]
    frozen = FrozenStates(tiny.model, 1, "fp32")
    frozen.fill(tiny.model, groups, 300)
    for k in frozen.states:
        frozen.states[k] = frozen.states[k] + 1.0
    rows = plan_rows(groups, 300)
    batch = pack(groups, rows)
    assert frozen.attach(tiny.model, groups, rows, batch, 300) is batch  # the full forward's batch
    assert frozen.checked is False


def test_memory_bound_holds_and_the_rest_runs_in_full(tiny, examples):
    groups = _groups(tiny, examples, "sft")[:8]
    small = FrozenStates(tiny.model, 1, "fp32", max_bytes=1)
    scores = small.logprobs(tiny.model, groups, 100)
    assert len(small.states) <= 1
    torch.testing.assert_close(scores, sequence_logprobs(tiny.model, groups, 100), rtol=REL, atol=1e-5)


def test_where_the_states_do_not_apply(tiny, examples):
    assert frozen_layers(tiny.model, None) == 0  # LoRA on every layer
    assert frozen_layers(tiny.model, 2) == 0  # no layer below the adapters
    assert frozen_layers(tiny.model, 1) == 1
    dropping = copy.deepcopy(tiny.model)
    dropping.config.attention_dropout = 0.1  # the lower layers' output would vary per step
    assert frozen_layers(dropping, 1) == 0
    frozen = FrozenStates(tiny.model, 1, "fp32")
    assert frozen.fits(copy.deepcopy(tiny.model), 1, "fp32")
    assert not frozen.fits(tiny.model, 1, "bf16")
    moved = copy.deepcopy(tiny.model)
    with torch.no_grad():
        moved.get_decoder().layers[0].mlp.up_proj.weight.add_(1e-3)
    assert not frozen.fits(moved, 1, "fp32")
    upper_only = copy.deepcopy(tiny.model)
    with torch.no_grad():  # the adapted layer may differ: an SFT model's states are its base's
        upper_only.get_decoder().layers[1].mlp.up_proj.weight.add_(1e-3)
    assert frozen.fits(upper_only, 1, "fp32")


def test_two_processes_from_the_states_train_like_one_through_every_layer(tiny_model_dir, tmp_path):
    """Under DDP each rank keeps the states of the groups it draws; 2 such processes give the
    losses, eval curve and weights of 1 process running every layer on every step."""
    from distributed_worker import run
    from test_distributed import WORKER, assert_trains_like_one, launch

    multi, single = tmp_path / "multi", tmp_path / "single"
    proc = launch(2, [str(WORKER), str(tiny_model_dir), str(multi), "frozen"])
    assert proc.returncode == 0, proc.stderr[-4000:]
    run(str(tiny_model_dir), single, grad_accum=4, last_layers=1, reuse_frozen=False)
    for method in ("sft", "dpo"):
        assert_trains_like_one(multi, single, method)


def test_bf16_training_from_the_states_is_used_and_close(tiny, examples):
    """In bf16 the states are used too (the architecture check passes) and the losses stay
    within bf16's rounding of the full forward's (test_precision.py's bound for bf16 vs fp32)."""
    groups = _groups(tiny, examples, "sft")
    frozen = FrozenStates(tiny.model, 1, "bf16")
    settings = _settings("sft", dtype="bf16", steps=6)
    cached = train(copy.deepcopy(tiny.model), groups[:20], groups[20:], settings, frozen=frozen)
    full = train(copy.deepcopy(tiny.model), groups[:20], groups[20:], settings, reuse_frozen=False)
    assert frozen.checked is True and frozen.groups_computed == len(frozen.states)
    assert_close(cached.train_losses, full.train_losses, rel=1e-3)
