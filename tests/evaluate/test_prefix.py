"""Choice scoring from the base model's hidden states (evaluate/prefix.py) gives the scores of
a full forward, and is refused wherever it would not."""

import copy

import pytest
import torch

from medtune.evaluate import prefix
from medtune.tasks import get_task
from medtune.train.batching import make_groups, sft_groups
from medtune.train.loop import train
from medtune.train.packing import sequence_logprobs
from medtune.train.settings import LoraSettings, TrainSettings


@pytest.fixture()
def setup(tiny):
    task = get_task("triage")
    examples = task.generate(24, 5)
    answers = [a for _, a in task.candidates()]
    test = make_groups(tiny.tokenizer, task, examples[16:], lambda ex: answers, 512)
    return task, sft_groups(tiny.tokenizer, task, examples[:16], 512), test


def _trained(tiny, groups, lora):
    s = TrainSettings(method="sft", learning_rate=1e-2, steps=2, batch_size=4, lora=lora)
    return train(copy.deepcopy(tiny.model), groups, [], s).model


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_fine_tuned_last_layer_scored_from_base_states(tiny, setup, dtype):
    from medtune.train.precision import autocast

    _, train_groups, test = setup
    tuned = _trained(tiny, train_groups, LoraSettings(last_layers=1))  # the tiny model has 2 layers
    assert prefix.shared_layers(tiny.model, tuned) == 1
    base_scores, states = prefix.capture(tiny.model, test, 128, 1, dtype)  # 128: several batches
    assert len(states.states) > 1
    with autocast(dtype):
        full_base = sequence_logprobs(tiny.model, test, 128)
        full_tuned = sequence_logprobs(tuned, test, 128)
    assert torch.equal(base_scores, full_base)  # keeping the states changes nothing
    reused = prefix.score_from(tuned, tiny.model, states, test, 128, dtype)
    assert not torch.allclose(full_tuned, full_base)  # training moved the scores
    torch.testing.assert_close(reused, full_tuned, rtol=0, atol=1e-5)
    assert states.checked  # the architecture passed its check: the next model skips it


def test_refused_where_it_cannot_apply(tiny, setup):
    _, train_groups, test = setup
    _, states = prefix.capture(tiny.model, test, 128, 1, "fp32")
    every_layer = _trained(tiny, train_groups, LoraSettings())
    assert prefix.shared_layers(tiny.model, every_layer) == 0
    assert prefix.score_from(every_layer, tiny.model, states, test, 128, "fp32") is None
    tuned = _trained(tiny, train_groups, LoraSettings(last_layers=1))
    assert prefix.score_from(tuned, tiny.model, states, test[:-1], 128, "fp32") is None  # other batches
    assert prefix.score_from(tuned, tiny.model, states, test, 256, "fp32") is None  # other packing
    assert prefix.score_from(tuned, tiny.model, states, test, 128, "bf16") is None  # other dtype
    # states that are not the base model's are caught by the full-forward check of batch 0
    states.states[0] = states.states[0] + 1.0
    assert prefix.score_from(tuned, tiny.model, states, test, 128, "fp32") is None


def test_progress_is_told_per_batch_while_capturing_and_reusing(tiny, setup):
    """A long evaluation through the base model's states must not look hung: every packed batch
    is reported as it is scored, and the counts add up to the groups scored, once each."""
    _, train_groups, test = setup
    tuned = _trained(tiny, train_groups, LoraSettings(last_layers=1))
    told: list[int] = []
    _, states = prefix.capture(tiny.model, test, 128, 1, "fp32", told.append)
    assert len(told) == len(states.states) > 1 and sum(told) == len(test)
    told.clear()
    assert prefix.score_from(tuned, tiny.model, states, test, 128, "fp32", told.append) is not None
    assert len(told) > 1 and sum(told) == len(test)
