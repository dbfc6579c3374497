"""How the training loop is spread over processes: the accelerate ``Accelerator`` (DDP by
default, FSDP when asked), log-probs under the model being trained, and its weights gathered
back. train/loop.py holds the arithmetic that makes N processes equal one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from medtune.train.packing import Group, sequence_logprobs, sharded_logprobs

if TYPE_CHECKING:
    from medtune.train.loop import TrainSettings


def accelerator(settings: TrainSettings) -> Any:
    """DDP (accelerate's default) across processes, FSDP when asked (CUDA only: on a CPU it
    would be a slow, untested path). bf16 autocast is applied by the loop itself, on CPU and
    GPU alike (train/precision.py); on a GPU accelerate is told too, for FSDP's policy."""
    from accelerate import Accelerator

    cuda = torch.cuda.is_available()
    if not cuda and settings.strategy == "fsdp":
        raise ValueError("FSDP needs a GPU; use strategy ddp on a CPU")
    kwargs: dict[str, Any] = {}
    if settings.strategy == "fsdp":
        from medtune.train.fsdp import plugin

        kwargs["fsdp_plugin"] = plugin()
    mixed = settings.compute if cuda else "fp32"
    return Accelerator(cpu=not cuda, mixed_precision="bf16" if mixed == "bf16" else "no", **kwargs)


def logprobs(accelerator, scorer, groups: list[Group], settings: TrainSettings) -> torch.Tensor:
    """Summed completion log-probs of ``groups`` under the model being trained, on every rank.
    DDP: each rank scores a shard (the unwrapped model: no gradient, no DDP hook needed).
    FSDP: every forward needs every rank, so all ranks score all groups through the wrapper."""
    if settings.strategy == "fsdp":
        return sequence_logprobs(scorer, groups, settings.pack_tokens, device=accelerator.device)
    return sharded_logprobs(accelerator.unwrap_model(scorer).lm, groups, settings.pack_tokens)


def trained_model(accelerator, scorer, settings: TrainSettings) -> Any:
    """The trained causal LM (LoRA still unmerged), whole, on every rank."""
    if settings.strategy == "fsdp":
        from medtune.train.fsdp import unsharded

        return unsharded(accelerator, scorer)
    return accelerator.unwrap_model(scorer).lm


def trainable_weights(accelerator, scorer) -> dict[str, torch.Tensor]:
    """The trainable weights to checkpoint, named as in the unwrapped causal LM (the same files
    under 1 or N processes). FSDP: gathered, a collective every rank must call."""
    from medtune.train import checkpoint as ckpt

    if accelerator.distributed_type.name == "FSDP":
        from medtune.train.fsdp import trainable_weights as gathered

        return gathered(accelerator, scorer)
    return ckpt.trainable_weights(accelerator.unwrap_model(scorer).lm)
