"""FSDP for full fine-tuning of models too large for one device's memory (``compute.strategy:
fsdp``): weights, gradients and optimizer state sharded across the processes.

The model is wrapped with torch's own ``FullyShardedDataParallel`` (not through accelerate:
accelerate 1.16 turns its FSDP plugin on only for GPU-like distributed types and silently
trains DDP on a CPU), so the same code shards on GPUs (NCCL) and on CPUs (gloo), and
tests/train/test_fsdp.py runs it here, against one process. Each decoder layer is its own
FSDP unit (the model's ``_no_split_modules``, which ``PackedScorer`` forwards); the embedding
and head (tied or not) stay in the root unit.

The full weights are gathered to every rank (``FULL_STATE_DICT``) when a checkpoint is written
and when training ends, so checkpoints and the returned model are named and shaped as with
DDP. The returned model is rebuilt in a skeleton: a copy of the model made before wrapping
whose parameters are on the meta device (no memory), filled with the gathered weights.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import torch


def skeleton(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` with every parameter on the meta device (ties kept: a shared
    parameter maps to one meta parameter); buffers are copied (small: rotary frequencies)."""
    memo = {id(p): torch.nn.Parameter(torch.empty_like(p, device="meta"), requires_grad=p.requires_grad)
            for p in model.parameters()}
    return copy.deepcopy(model, memo)


def wrap(scorer: torch.nn.Module, device: torch.device, mixed_precision: str) -> Any:
    """``scorer`` (a PackedScorer) sharded over the process group, one unit per decoder layer.
    bf16 (GPU): parameters gathered and computed in bf16, gradients reduced in float32."""
    from torch.distributed.fsdp import FullyShardedDataParallel, MixedPrecision
    from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy

    names = set(scorer._no_split_modules or [])
    layers = {type(m) for m in scorer.modules() if type(m).__name__ in names}
    precision = None
    if mixed_precision == "bf16":
        precision = MixedPrecision(param_dtype=torch.bfloat16, reduce_dtype=torch.float32,
                                   buffer_dtype=torch.bfloat16)
    return FullyShardedDataParallel(
        scorer,
        auto_wrap_policy=functools.partial(transformer_auto_wrap_policy, transformer_layer_cls=layers),
        use_orig_params=True,  # LoRA: frozen and trainable parameters may share a unit
        device_id=torch.device("cpu") if device.type == "cpu" else device,  # FSDP's CPU device has no index
        # Every rank starts from rank 0's weights. (Already so: every rank loads the same files
        # and seeds the same LoRA init; and torch syncs only from a GPU.)
        sync_module_states=device.type != "cpu",
        mixed_precision=precision,
    )


def is_wrapped(scorer: Any) -> bool:
    from torch.distributed.fsdp import FullyShardedDataParallel

    return isinstance(scorer, FullyShardedDataParallel)


def full_state(scorer: Any) -> dict[str, torch.Tensor]:
    """Every parameter, unsharded, on the CPU of every rank (a collective), named as in the
    unwrapped causal LM."""
    from torch.distributed.fsdp import FullStateDictConfig, FullyShardedDataParallel, StateDictType

    # Offloading from a CPU to the CPU crashes torch 2.13 (a segfault cloning the gathered
    # tensors); on a CPU the gathered weights are where they belong already.
    on_gpu = next(scorer.parameters()).device.type != "cpu"
    config = FullStateDictConfig(offload_to_cpu=on_gpu, rank0_only=False)
    with FullyShardedDataParallel.state_dict_type(scorer, StateDictType.FULL_STATE_DICT, config):
        state = scorer.state_dict()
    return {k.removeprefix("lm."): v for k, v in state.items()}


def trainable_weights(scorer: Any) -> dict[str, torch.Tensor]:
    names = {n.removeprefix("lm.").replace("_fsdp_wrapped_module.", "")
             for n, p in scorer.named_parameters() if p.requires_grad}
    return {k: v.contiguous().clone() for k, v in full_state(scorer).items() if k in names}


def clip_grad_norm(scorer: Any, max_norm: float) -> torch.Tensor:
    """The gradient norm over every rank's shards (a local norm would differ per rank)."""
    return scorer.clip_grad_norm_(max_norm)


def unsharded(scorer: Any, shell: torch.nn.Module) -> Any:
    """The trained causal LM, whole, on the CPU of every rank: ``shell`` (``skeleton`` of the
    model before wrapping) given the gathered weights."""
    state = full_state(scorer)
    shell.load_state_dict(state, strict=False, assign=True)
    if getattr(shell.config, "tie_word_embeddings", False):
        shell.tie_weights()  # assign gave the embedding and the head two tensors
    missing = [n for n, p in shell.named_parameters() if p.is_meta]
    assert not missing, f"no gathered weights for {missing[:3]}"
    return shell
