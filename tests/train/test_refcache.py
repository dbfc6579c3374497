"""The DPO reference cache: computed once, read back bit for bit, invalidated by any change of
weights or tokens, and training from it is training with the reference computed in place."""

import copy
from pathlib import Path

import pytest
import torch

from medtune.tasks import get_task
from medtune.tasks.rejected import fill_rejected
from medtune.train.batching import dpo_groups
from medtune.train.loop import drawn_indices, train
from medtune.train.packing import Group, sequence_logprobs
from medtune.train.refcache import ReferenceCache, weights_hash
from medtune.train.settings import TrainSettings


@pytest.fixture()
def pairs(tiny):
    task = get_task("uti")
    examples = fill_rejected(task.generate(16, 3), task, seed=0)
    return dpo_groups(tiny.tokenizer, task, examples, 512)


def test_hit_returns_identical_values_without_a_forward(tiny, pairs, tmp_path):
    first = ReferenceCache(tmp_path, tiny.model, pack_tokens=256)
    values = first.logprobs(pairs)
    assert first.pairs_computed == len(pairs)
    # What is stored is the reference model's summed log-probs (chosen, rejected) per pair.
    torch.testing.assert_close(values, sequence_logprobs(tiny.model, pairs, 256).view(-1, 2), atol=0, rtol=0)

    again = ReferenceCache(tmp_path, copy.deepcopy(tiny.model), pack_tokens=256)  # a rerun
    assert torch.equal(again.logprobs(pairs), values)
    assert again.pairs_computed == 0
    assert len(list(tmp_path.glob("*.safetensors"))) == 1 and not list(tmp_path.glob("*.tmp"))


def test_changed_data_weights_or_packing_miss(tiny, pairs, tmp_path):
    ReferenceCache(tmp_path, tiny.model, 256).logprobs(pairs)

    edited = list(pairs)
    g = edited[5]
    edited[5] = Group(g.prompt, [g.completions[0], g.completions[1][:-2] + g.completions[1][-1:]])
    cache = ReferenceCache(tmp_path, tiny.model, 256)
    cache.logprobs(edited)
    assert cache.pairs_computed == len(pairs)

    moved = copy.deepcopy(tiny.model)
    with torch.no_grad():
        moved.model.layers[1].mlp.down_proj.weight[0, 0] += 1e-3
    cache = ReferenceCache(tmp_path, moved, 256)
    fresh = cache.logprobs(pairs)
    assert cache.pairs_computed == len(pairs)
    assert not torch.equal(fresh, ReferenceCache(tmp_path, tiny.model, 256).logprobs(pairs))

    cache = ReferenceCache(tmp_path, tiny.model, 128)
    cache.logprobs(pairs)
    assert cache.pairs_computed == len(pairs)
    assert len(list(tmp_path.glob("*.safetensors"))) == 4


def test_only_requested_pairs_are_computed_and_later_completed(tiny, pairs, tmp_path):
    cache = ReferenceCache(tmp_path, tiny.model, 256)
    part = cache.logprobs(pairs, [1, 4])
    assert cache.pairs_computed == 2
    assert part[[1, 4]].isfinite().all() and part[[0, 2, 3]].isnan().all()

    later = ReferenceCache(tmp_path, tiny.model, 256)
    full = later.logprobs(pairs)
    assert later.pairs_computed == len(pairs) - 2
    assert torch.equal(full[[1, 4]], part[[1, 4]])
    torch.testing.assert_close(full, sequence_logprobs(tiny.model, pairs, 256).view(-1, 2), atol=1e-5, rtol=0)


def test_weights_hash():
    """Same weights hash alike; one changed element, a dtype or a broken tie do not."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    digest = weights_hash(model)
    assert weights_hash(copy.deepcopy(model)) == digest

    changed = copy.deepcopy(model)
    with torch.no_grad():
        changed.model.norm.weight[3] = 1.0 + 2**-20
    assert weights_hash(changed) != digest
    assert weights_hash(copy.deepcopy(model).to(torch.bfloat16)) != digest

    untied = copy.deepcopy(model)
    untied.lm_head.weight = torch.nn.Parameter(model.lm_head.weight.detach().clone())
    assert torch.equal(untied.lm_head.weight, model.lm_head.weight)
    assert weights_hash(untied) != digest


def _count_decoder_forwards(model) -> list[int]:
    calls = [0]
    model.get_decoder().register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


def test_dpo_from_cache_trains_like_reference_computed_in_place(tiny, pairs, tmp_path):
    """Same losses and eval curve with the reference read from the cache as with train()
    computing it; and with the cache, each training step runs exactly one forward (the
    policy's): no reference forward inside the DPO step."""
    settings = TrainSettings(method="dpo", learning_rate=5e-3, steps=3, batch_size=4, eval_every=3, beta=0.5)
    train_groups, eval_groups = pairs[:12], pairs[12:]

    in_place = train(copy.deepcopy(tiny.model), train_groups, eval_groups, settings)

    ReferenceCache(tmp_path, tiny.model, settings.pack_tokens).reference(
        train_groups, eval_groups, drawn_indices(len(train_groups), settings))
    cache = ReferenceCache(tmp_path, tiny.model, settings.pack_tokens)  # read back from disk
    reference = cache.reference(train_groups, eval_groups, drawn_indices(len(train_groups), settings))
    assert cache.pairs_computed == 0
    model = copy.deepcopy(tiny.model)
    forwards = _count_decoder_forwards(model)
    cached = train(model, train_groups, [], settings, reference=reference)
    assert forwards[0] == settings.steps

    again = train(copy.deepcopy(tiny.model), train_groups, eval_groups, settings, reference=reference)
    assert again.train_losses == in_place.train_losses == cached.train_losses
    assert [(p.step, p.eval_loss) for p in again.curve] == [(p.step, p.eval_loss) for p in in_place.curve]


def test_reference_missing_a_drawn_pair_is_refused(tiny, pairs, tmp_path):
    settings = TrainSettings(method="dpo", learning_rate=1e-3, steps=2, batch_size=4)
    drawn = drawn_indices(12, settings)
    cache = ReferenceCache(tmp_path, tiny.model, settings.pack_tokens)
    reference = cache.reference(pairs[:12], [], drawn[1:])
    with pytest.raises(ValueError, match="drawn_indices"):
        train(copy.deepcopy(tiny.model), pairs[:12], [], settings, reference=reference)


@pytest.mark.integration  # two 2-process launches: about 30 s
def test_one_and_two_processes_share_the_cache(tiny_model_dir, tmp_path):
    """The key names the weights, tokens, packing budget and device, not the process count:
    what one process stored, two read without a forward, and the other way round. (Under two
    processes each rank packs its half of the pairs, so values agree to float rounding.)"""
    import json

    from refcache_worker import run
    from test_distributed import launch
    from tolerance import assert_close

    worker = str(Path(__file__).with_name("refcache_worker.py"))

    def seen(out):
        return [json.loads(p.read_text()) for p in sorted(out.glob("rank-*.json"))]

    by_one, by_two = tmp_path / "by-one", tmp_path / "by-two"
    run(str(tiny_model_dir), by_one, tmp_path / "one-fills")  # this process: one of one
    proc = launch(2, [worker, str(tiny_model_dir), str(by_one), str(tmp_path / "two-read")])
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = launch(2, [worker, str(tiny_model_dir), str(by_two), str(tmp_path / "two-fill")])
    assert proc.returncode == 0, proc.stderr[-3000:]
    run(str(tiny_model_dir), by_two, tmp_path / "one-reads")

    [one_fills], two_read = seen(tmp_path / "one-fills"), seen(tmp_path / "two-read")
    two_fill, [one_reads] = seen(tmp_path / "two-fill"), seen(tmp_path / "one-reads")
    assert one_fills["pairs_computed"] == 16 and [r["world_size"] for r in two_read] == [2, 2]
    assert [r["pairs_computed"] for r in two_read] == [0, 0] and one_reads["pairs_computed"] == 0
    assert {r["file"] for r in [one_fills, *two_read, *two_fill, one_reads]} == {one_fills["file"]}
    assert all(r["values"] == one_fills["values"] for r in two_read)  # read back, bit for bit
    assert_close(two_fill[0]["values"], one_fills["values"])  # computed in shards: rounding
    assert list(by_one.iterdir())[0].name == list(by_two.iterdir())[0].name
