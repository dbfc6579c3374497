"""bf16 autocast (train/precision.py): which type ``auto`` picks, that bf16 training follows the
fp32 one within a stated tolerance on the tiny model, and that the reference cache and
checkpoints record the type they were computed in.

Tolerances, measured on the tiny model (2 layers, hidden 64) with these settings, then given a
margin of about 5x: SFT train losses differ by at most 2.2e-4 relative over 12 steps (bound
1e-3); DPO train losses by at most 0.0065 nats over 10 steps at lr 5e-3 (bound 0.03); the DPO
log-ratio of one model scored in bf16 and in fp32, (pi_c - ref_c) - (pi_r - ref_r), by at most
0.0051 nats (bound 0.03). bfloat16 keeps 8 significant bits (relative rounding 2^-9 = 0.2%),
and log-probs summed over about 40 tokens accumulate it; the losses are reduced in fp32.
"""

import copy

import pytest
import torch

from medtune.config import parse_study
from medtune.errors import UserError
from medtune.tasks import get_task
from medtune.tasks.rejected import fill_rejected
from medtune.train import precision
from medtune.train.batching import dpo_groups, sft_groups
from medtune.train.loop import Checkpointing, train
from medtune.train.packing import sequence_logprobs
from medtune.train.refcache import ReferenceCache
from medtune.train.settings import TrainSettings


@pytest.fixture()
def uti(tiny):
    task = get_task("uti")
    return task, fill_rejected(task.generate(24, 3), task, seed=0)


def test_auto_picks_bf16_only_with_amx_or_a_bf16_gpu(monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}))
    assert precision.resolve("auto", device_type="cpu") == "bf16"
    # AVX512-BF16 without AMX: oneDNN's bf16 GEMM measured slower than fp32 (precision.py)
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    assert precision.resolve("auto", device_type="cpu") == "fp32"
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset())
    assert precision.resolve("auto", device_type="cpu") == "fp32"
    assert precision.resolve("bf16", device_type="cpu") == "bf16"
    assert precision.resolve("fp32", device_type="cpu") == "fp32"


def test_older_spellings_keep_their_meaning():
    """``mixed_precision: bf16`` is ``dtype: bf16``; ``dtype: float32|bfloat16|float16`` name the
    type the weights are loaded in, with no autocast."""
    assert precision.resolve("auto", "bf16") == "bf16"
    assert precision.resolve("float32") == "fp32"
    assert precision.resolve("bfloat16") == "fp32" and precision.label("bfloat16") == "bfloat16"
    assert precision.weights_dtype("bfloat16") == "bfloat16"
    assert precision.weights_dtype("auto") == precision.weights_dtype("bf16") == "float32"


@pytest.mark.parametrize("training", [{}, {"dtype": "float32"}, {"dtype": "bfloat16"}, {"mixed_precision": "bf16"},
                                      {"dtype": "bf16"}, {"dtype": "fp32"}, {"dtype": "auto"}])
def test_study_files_accept_old_and_new_dtype_keys(training):
    study = parse_study({"name": "s", "model": "m", "tasks": [{"task": "uti", "data": {"synthetic": {"n": 10}}}],
                         "training": training, "sft": {"learning_rates": [1e-3], "steps": 1},
                         "dpo": {"learning_rates": [1e-3], "steps": 1}}, "study.yaml")
    assert study.training.dtype == training.get("dtype", "auto")


def test_unknown_dtype_is_a_user_error_naming_the_key():
    with pytest.raises(UserError) as err:
        parse_study({"name": "s", "model": "m", "tasks": [{"task": "uti", "data": {"synthetic": {"n": 10}}}],
                     "training": {"dtype": "fp16"}, "sft": {"learning_rates": [1e-3], "steps": 1},
                     "dpo": {"learning_rates": [1e-3], "steps": 1}}, "study.yaml")
    assert any(p.startswith("training.dtype") for p in err.value.problems)


def test_bf16_sft_follows_fp32_and_keeps_weights_fp32(tiny, uti, tmp_path):
    task, examples = uti
    groups = sft_groups(tiny.tokenizer, task, examples, 512)
    runs = {}
    for dtype in ("fp32", "bf16"):
        s = TrainSettings(method="sft", learning_rate=3e-3, steps=12, batch_size=4, eval_every=6, dtype=dtype)
        runs[dtype] = train(copy.deepcopy(tiny.model), groups[:16], groups[16:], s,
                            checkpoints=Checkpointing(tmp_path / dtype))
    fp32, bf16 = runs["fp32"], runs["bf16"]
    assert (fp32.dtype, bf16.dtype) == ("fp32", "bf16")
    assert bf16.train_losses == pytest.approx(fp32.train_losses, rel=1e-3)
    assert bf16.train_losses != fp32.train_losses  # bf16 did run: the rounding shows
    assert [p.eval_loss for p in bf16.curve] == pytest.approx([p.eval_loss for p in fp32.curve], rel=1e-3)
    # trainable LoRA weights, their optimizer state and the merged model stay fp32
    from medtune.train import checkpoint as ckpt

    last = tmp_path / "bf16" / "step-000012"
    assert {t.dtype for t in ckpt.load_weights(last).values()} == {torch.float32}
    moments = [v for st in ckpt.load_trainer(last)["optimizer"]["state"].values() for k, v in st.items()
               if k in ("exp_avg", "exp_avg_sq")]
    assert moments and {m.dtype for m in moments} == {torch.float32}
    assert {p.dtype for p in bf16.model.parameters()} == {torch.float32}
    assert ckpt.load_state(last)["dtype"] == "bf16"


def test_bf16_dpo_follows_fp32_and_log_ratios_agree(tiny, uti):
    task, examples = uti
    groups = dpo_groups(tiny.tokenizer, task, examples, 512)
    runs = {}
    for dtype in ("fp32", "bf16"):
        s = TrainSettings(method="dpo", learning_rate=5e-3, steps=10, batch_size=8, eval_every=5, beta=0.5,
                          dtype=dtype)
        runs[dtype] = train(copy.deepcopy(tiny.model), groups[:16], groups[16:], s)
    assert runs["bf16"].train_losses == pytest.approx(runs["fp32"].train_losses, abs=0.03)

    def log_ratios(dtype):
        with precision.autocast(dtype):
            ref = sequence_logprobs(tiny.model, groups[16:], 256).view(-1, 2)
            pol = sequence_logprobs(runs["fp32"].model, groups[16:], 256).view(-1, 2)
        return (pol[:, 0] - ref[:, 0]) - (pol[:, 1] - ref[:, 1])

    fp32, bf16 = log_ratios("fp32"), log_ratios("bf16")
    assert fp32.abs().min() > 0.1  # the policy moved: the ratios are not all zero
    torch.testing.assert_close(bf16, fp32, atol=0.03, rtol=0)
    assert not torch.equal(bf16, fp32)


def test_reference_cache_keys_and_records_the_dtype(tiny, uti, tmp_path):
    from safetensors import safe_open

    task, examples = uti
    pairs = dpo_groups(tiny.tokenizer, task, examples[:8], 512)
    fp32 = ReferenceCache(tmp_path, tiny.model, 256, "fp32")
    bf16 = ReferenceCache(tmp_path, tiny.model, 256, "bf16")
    assert fp32.path(pairs) != bf16.path(pairs)
    values = bf16.logprobs(pairs)
    assert bf16.pairs_computed == len(pairs)
    with safe_open(str(bf16.path(pairs)), "pt") as f:
        assert f.metadata()["dtype"] == "bf16"
    torch.testing.assert_close(values, fp32.logprobs(pairs), atol=0.05, rtol=0)
    assert fp32.pairs_computed == len(pairs)  # not read from the bf16 file


def test_resuming_in_another_dtype_is_refused(tiny, uti, tmp_path):
    task, examples = uti
    groups = sft_groups(tiny.tokenizer, task, examples[:12], 512)
    s = TrainSettings(method="sft", learning_rate=1e-3, steps=2, batch_size=4, eval_every=1, dtype="bf16")
    train(copy.deepcopy(tiny.model), groups, [], s, checkpoints=Checkpointing(tmp_path))
    fp32 = TrainSettings(method="sft", learning_rate=1e-3, steps=3, batch_size=4, eval_every=1, dtype="fp32")
    with pytest.raises(UserError, match="training.dtype: bf16"):
        train(copy.deepcopy(tiny.model), groups, [], fp32,
              checkpoints=Checkpointing(tmp_path, resume=tmp_path / "step-000002"))
