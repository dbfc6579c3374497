"""How the training loop is spread over processes: the accelerate ``Accelerator`` (DDP by
default; FSDP when asked, train/fsdp.py), log-probs under the model being trained, and its weights gathered
back. train/loop.py holds the arithmetic that makes N processes equal one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from medtune.train.packing import Group, PackedScorer, sequence_logprobs, sharded_logprobs

if TYPE_CHECKING:
    from medtune.train.frozen import FrozenStates
    from medtune.train.settings import TrainSettings


def accelerator(settings: TrainSettings) -> Any:
    """DDP (accelerate's default) across processes; FSDP wraps the model itself (``prepare``).
    bf16 autocast is applied by the loop itself, on CPU and GPU alike (train/precision.py); on a
    GPU accelerate is told too."""
    from accelerate import Accelerator

    cuda = torch.cuda.is_available()
    mixed = settings.compute if cuda else "fp32"
    return Accelerator(cpu=not cuda, mixed_precision="bf16" if mixed == "bf16" else "no")


def prepare(accelerator, scorer: PackedScorer, settings: TrainSettings) -> tuple[Any, Any]:
    """``scorer`` wrapped for training (DDP by accelerate, or FSDP under several processes)
    and, for FSDP, the skeleton ``trained_model`` fills (train/fsdp.py). Before the optimizer
    sees the parameters: FSDP replaces them with shards."""
    if settings.strategy == "fsdp" and accelerator.num_processes > 1:
        from medtune.train import fsdp

        shell = fsdp.skeleton(scorer.lm)
        # on a CPU the loop's autocast does bf16; FSDP's own mixed precision is for GPUs
        mixed = settings.compute if accelerator.device.type == "cuda" else "fp32"
        return fsdp.wrap(scorer, accelerator.device, mixed), shell
    return accelerator.prepare(scorer), None


def clip_grad_norm(accelerator, scorer, params: list[torch.nn.Parameter], max_norm: float) -> None:
    if _fsdp(scorer):
        from medtune.train.fsdp import clip_grad_norm as sharded

        sharded(scorer, max_norm)
    else:
        accelerator.clip_grad_norm_(params, max_norm)


def _fsdp(scorer: Any) -> bool:
    from medtune.train.fsdp import is_wrapped

    return is_wrapped(scorer)


def logprobs(accelerator, scorer, groups: list[Group], settings: TrainSettings,
             frozen: FrozenStates | None = None) -> torch.Tensor:
    """Summed completion log-probs of ``groups`` under the model being trained, on every rank.
    DDP: each rank scores a shard (the unwrapped model: no gradient, no DDP hook needed), from
    the states below the LoRA layers with ``frozen`` (train/frozen.py).
    FSDP: every forward needs every rank, so all ranks score all groups through the wrapper."""
    if _fsdp(scorer):
        with torch.no_grad():  # a forward FSDP will see no backward of
            return sequence_logprobs(scorer, groups, settings.pack_tokens, device=accelerator.device)
    lm = accelerator.unwrap_model(scorer).lm
    if frozen is not None:
        from medtune.train.distributed import shard_tensor

        return shard_tensor(lambda part: frozen.logprobs(lm, list(part), settings.pack_tokens), groups)
    return sharded_logprobs(lm, groups, settings.pack_tokens)


def trained_model(accelerator, scorer, shell: Any) -> Any:
    """The trained causal LM (LoRA still unmerged), whole, on every rank (FSDP: gathered into
    ``shell``, from ``prepare``)."""
    if _fsdp(scorer):
        from medtune.train.fsdp import unsharded

        return unsharded(scorer, shell)
    return accelerator.unwrap_model(scorer).lm


def trainable_weights(accelerator, scorer) -> dict[str, torch.Tensor]:
    """The trainable weights to checkpoint, named as in the unwrapped causal LM (the same files
    under 1 or N processes). FSDP: gathered, a collective every rank must call."""
    from medtune.train import checkpoint as ckpt

    if _fsdp(scorer):
        from medtune.train.fsdp import trainable_weights as gathered

        return gathered(scorer)
    return ckpt.trainable_weights(accelerator.unwrap_model(scorer).lm)
