"""The base-model prediction cache: a hit returns the stored predictions, and the key changes
with the weights, the examples and every setting that changes a prediction."""

import copy

import torch

from medtune.evaluate.cache import PredictionCache
from medtune.evaluate.predict import predict
from medtune.tasks import get_task

SETTINGS = {"mode": "likelihood", "max_new_tokens": 32, "max_length": 512, "pack_tokens": 256, "dtype": "fp32",
            "device": "cpu"}


def test_hit_and_misses(tiny, tmp_path):
    task = get_task("uti")
    examples = task.generate(6, 1)
    cache = PredictionCache(tiny.model, tmp_path)
    path = cache.path(tiny.tokenizer, task, examples, SETTINGS)
    assert cache.read(path, examples) is None
    preds = predict(tiny.model, tiny.tokenizer, task, examples, "likelihood", 512, 256)
    cache.write(path, preds)
    again = PredictionCache(copy.deepcopy(tiny.model), tmp_path)  # another study, same weights
    assert again.path(tiny.tokenizer, task, examples, SETTINGS) == path
    assert again.read(path, examples) == preds
    assert again.read(path, examples[:5]) is None  # not these examples: never served

    assert cache.path(tiny.tokenizer, task, examples[:5], SETTINGS) != path
    edited = [examples[0].model_copy(update={"prompt": examples[0].prompt_text() + " Afebrile."})] + examples[1:]
    assert cache.path(tiny.tokenizer, task, edited, SETTINGS) != path
    for key, value in (("dtype", "bf16"), ("mode", "generate"), ("pack_tokens", 128), ("max_length", 256)):
        assert cache.path(tiny.tokenizer, task, examples, {**SETTINGS, key: value}) != path, key
    moved = copy.deepcopy(tiny.model)
    with torch.no_grad():
        moved.model.layers[0].mlp.up_proj.weight[0, 0] += 1e-3
    assert PredictionCache(moved, tmp_path).path(tiny.tokenizer, task, examples, SETTINGS) != path
