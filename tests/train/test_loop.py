"""The training loop on the tiny model: it learns, and batch arithmetic is exact."""

import copy
import math

import pytest
import torch

from medtune.tasks import get_task
from medtune.tasks.rejected import fill_rejected
from medtune.train.batching import dpo_groups, sft_groups
from medtune.train.loop import train
from medtune.train.settings import LoraSettings, TrainSettings


@pytest.fixture()
def uti_data(tiny):
    task = get_task("uti")
    examples = fill_rejected(task.generate(24, 3), task, seed=0)
    return task, examples


def _lora_params(model):
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def test_sft_reduces_eval_loss(tiny, uti_data):
    task, examples = uti_data
    groups = sft_groups(tiny.tokenizer, task, examples, 512)
    settings = TrainSettings(method="sft", learning_rate=3e-3, steps=12, batch_size=4, eval_every=6)
    result = train(copy.deepcopy(tiny.model), groups[:16], groups[16:], settings)
    assert [p.step for p in result.curve] == [0, 6, 12]
    assert result.curve[-1].eval_loss < result.curve[0].eval_loss
    assert len(result.train_losses) == 12 and result.tokens > 0
    assert not hasattr(result.model, "peft_config")  # LoRA merged back


@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_grad_accumulation_is_exact(tiny, uti_data, method):
    """4 examples in one micro-batch and in 4 micro-batches give the same loss and gradient.
    (Gradients, not post-AdamW weights: Adam divides by sqrt(v), which turns float noise on
    near-zero gradients into full-size steps.)"""
    from accelerate import Accelerator

    from medtune.train.loop import _step
    from medtune.train.refcache import Reference, compute_logprobs
    from medtune.train.settings import apply_lora

    task, examples = uti_data
    make = sft_groups if method == "sft" else dpo_groups
    groups = make(tiny.tokenizer, task, examples[:8], 512)
    results = []
    for accum in (1, 4):
        s = TrainSettings(method=method, learning_rate=1e-2, steps=1, batch_size=4, grad_accum=accum)
        model = apply_lora(copy.deepcopy(tiny.model), LoraSettings(), seed=0)
        with torch.no_grad():  # B = 0 at init makes LoRA A's gradient vanish; move off it
            for n, p in model.named_parameters():
                if "lora_B" in n:
                    p.normal_(0, 0.02, generator=torch.Generator().manual_seed(1))
        ref = None
        if method == "dpo":
            ref = Reference(compute_logprobs(tiny.model, groups, [0, 3, 5, 6], 512), torch.zeros(0, 2))
        loss, _ = _step(model, Accelerator(cpu=True), groups, [0, 3, 5, 6], s, ref)
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append((loss, grads))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-5)
    assert results[0][1].keys() == results[1][1].keys() and results[0][1]
    for k in results[0][1]:
        torch.testing.assert_close(results[0][1][k], results[1][1][k], atol=1e-6, rtol=1e-4)


def test_dpo_improves_preference_margin(tiny, uti_data):
    task, examples = uti_data
    groups = dpo_groups(tiny.tokenizer, task, examples, 512)
    s = TrainSettings(method="dpo", learning_rate=5e-3, steps=10, batch_size=8, eval_every=5, beta=0.5)
    result = train(copy.deepcopy(tiny.model), groups[:16], groups[16:], s)
    assert result.curve[0].eval_loss == pytest.approx(math.log(2))
    # That step-0 value is not computed: it rests on a fresh adapter leaving the model unchanged.
    from medtune.train.packing import sequence_logprobs
    from medtune.train.settings import apply_lora

    fresh = apply_lora(copy.deepcopy(tiny.model), LoraSettings(), seed=0)
    torch.testing.assert_close(sequence_logprobs(fresh, groups[16:], 256), sequence_logprobs(tiny.model, groups[16:], 256))
    assert result.curve[-1].eval_loss != pytest.approx(math.log(2), abs=1e-6)
    assert result.train_losses[-1] < result.train_losses[0]


def test_full_finetune_without_lora(tiny, uti_data):
    task, examples = uti_data
    groups = sft_groups(tiny.tokenizer, task, examples[:8], 512)
    s = TrainSettings(method="sft", learning_rate=1e-3, steps=2, batch_size=4, lora=None)
    before = copy.deepcopy(tiny.model.state_dict())
    result = train(copy.deepcopy(tiny.model), groups, [], s)
    changed = [k for k, v in result.model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed


def test_lora_last_layers_only(tiny):
    from medtune.train.settings import apply_lora

    model = apply_lora(copy.deepcopy(tiny.model), LoraSettings(last_layers=1), seed=0)
    adapted = {n.split(".layers.")[1].split(".")[0] for n, p in model.named_parameters() if "lora_" in n}
    assert adapted == {"1"}  # the tiny model has layers 0 and 1


def test_stratified_batches_keep_proportions():
    """75 'a' and 25 'b': every batch of 8 holds 6 or so 'a' (never a batch of one label),
    every epoch visits every example once, and the stream is reproducible by seed."""
    from medtune.train.loop import _batches

    strata = ["a"] * 75 + ["b"] * 25
    stream = _batches(100, 8, seed=3, strata=strata)
    batches = [next(stream) for _ in range(12)]  # 96 of the first epoch's 100
    counts = [sum(strata[i] == "b" for i in b) for b in batches]
    assert all(1 <= c <= 3 for c in counts), counts
    seen = [i for b in batches for i in b]
    assert len(set(seen)) == len(seen)
    again = _batches(100, 8, seed=3, strata=strata)
    assert [next(again) for _ in range(12)] == batches
