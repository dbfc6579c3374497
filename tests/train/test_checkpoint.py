"""Checkpoints and resume: a run stopped after a checkpoint and resumed from it gives exactly
the losses, curve and weights of a run that was never stopped."""

import copy

import pytest
import torch

from medtune.tasks import get_task
from medtune.tasks.rejected import fill_rejected
from medtune.train import checkpoint as ckpt
from medtune.train.batching import dpo_groups, sft_groups
from medtune.train.loop import Checkpointing, train
from medtune.train.settings import LoraSettings, TrainSettings


class Killed(Exception):
    """Stands in for a process killed right after a checkpoint reached the disk."""


def _groups(tiny, method):
    task = get_task("uti")
    examples = fill_rejected(task.generate(20, 3), task, seed=0)
    make = sft_groups if method == "sft" else dpo_groups
    groups = make(tiny.tokenizer, task, examples, 512)
    return groups[:14], groups[14:]


@pytest.mark.parametrize("method,lora", [
    ("sft", LoraSettings(dropout=0.1)),  # dropout: the torch RNG state must be restored too
    ("dpo", LoraSettings(dropout=0.1)),  # and the lazily taken reference log-probs
    ("sft", None),                       # full fine-tuning: every weight in the checkpoint
])
def test_resume_gives_identical_run(tiny, tmp_path, method, lora):
    train_groups, eval_groups = _groups(tiny, method)
    settings = TrainSettings(method=method, learning_rate=3e-3, steps=6, batch_size=4, eval_every=3,
                             lora=lora, schedule="linear", warmup_steps=2, seed=1)

    whole = train(copy.deepcopy(tiny.model), train_groups, eval_groups, settings,
                  checkpoints=Checkpointing(tmp_path / "whole"))
    assert sorted(p.name for p in (tmp_path / "whole").iterdir()) == ["step-000003", "step-000006"]

    def kill_at_3(path, step, curve):
        if step == 3:
            raise Killed
    with pytest.raises(Killed):
        train(copy.deepcopy(tiny.model), train_groups, eval_groups, settings,
              checkpoints=Checkpointing(tmp_path / "parts", on_saved=kill_at_3))
    torch.manual_seed(1234)  # a new process: the global RNG is wherever it is
    resumed = train(copy.deepcopy(tiny.model), train_groups, eval_groups, settings,
                    checkpoints=Checkpointing(tmp_path / "parts", resume=ckpt.step_dir(tmp_path / "parts", 3)))

    assert len(whole.train_losses) == 6
    assert resumed.train_losses == whole.train_losses
    assert [(p.step, p.eval_loss) for p in resumed.curve] == [(p.step, p.eval_loss) for p in whole.curve]
    assert resumed.tokens == whole.tokens
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # and the final checkpoint alone rebuilds the trained model
    rebuilt = ckpt.load_trained(tiny.model, ckpt.step_dir(tmp_path / "parts", 6), lora, settings.seed)
    for k, v in rebuilt.state_dict().items():
        assert torch.equal(v, a[k]), k


def test_checkpoint_files_and_drop_trainer(tiny, tmp_path):
    train_groups, eval_groups = _groups(tiny, "sft")
    settings = TrainSettings(method="sft", learning_rate=1e-3, steps=2, batch_size=4, eval_every=2)
    seen = []
    train(copy.deepcopy(tiny.model), train_groups, eval_groups, settings,
          checkpoints=Checkpointing(tmp_path, on_saved=lambda p, s, c: seen.append((p.name, s, len(c)))))
    assert seen == [("step-000002", 2, 2)]
    path = ckpt.step_dir(tmp_path, 2)
    assert sorted(p.name for p in path.iterdir()) == ["state.json", "trainer.pt", "weights.safetensors"]
    assert [p.name for p in tmp_path.iterdir()] == ["step-000002"]  # no temporary left behind
    weights = ckpt.load_weights(path)
    assert weights and all("lora_" in k for k in weights)  # the adapter only
    assert ckpt.load_state(path)["step"] == 2
    ckpt.drop_trainer(path)
    assert not (path / "trainer.pt").exists() and (path / "weights.safetensors").exists()
