"""FSDP for full fine-tuning of models too large for one GPU's memory (``compute.strategy:
fsdp``). UNTESTED here: this machine has no GPU, and accelerate refuses FSDP on a CPU. The
DDP path (train/loop.py) is the tested one.

Each decoder layer is its own FSDP unit (the model's ``_no_split_modules``, which
``PackedScorer`` forwards); the full state dict is gathered to the CPU of every rank when a
checkpoint is written and when training ends, so checkpoints and the returned model are the
same as DDP's (parameter names of the unwrapped model).
"""

from __future__ import annotations

from typing import Any


def plugin() -> Any:
    from accelerate import FullyShardedDataParallelPlugin
    from torch.distributed.fsdp import FullStateDictConfig

    return FullyShardedDataParallelPlugin(
        auto_wrap_policy="transformer_based_wrap",
        use_orig_params=True,  # LoRA: frozen and trainable parameters share flat buffers
        state_dict_type="FULL_STATE_DICT",
        state_dict_config=FullStateDictConfig(offload_to_cpu=True, rank0_only=False),
        sync_module_states=True,
    )


def _full_state(accelerator: Any, scorer: Any) -> dict[str, Any]:
    """Every parameter, unsharded, on the CPU of every rank (a collective), named as in the
    unwrapped causal LM."""
    state = accelerator.get_state_dict(scorer, unwrap=True)
    return {k.removeprefix("lm."): v for k, v in state.items()}


def trainable_weights(accelerator: Any, scorer: Any) -> dict[str, Any]:
    names = {n.removeprefix("lm.") for n, p in accelerator.unwrap_model(scorer).named_parameters()
             if p.requires_grad}
    names = {n.replace("_fsdp_wrapped_module.", "") for n in names}
    return {k: v.contiguous().clone() for k, v in _full_state(accelerator, scorer).items() if k in names}


def unsharded(accelerator: Any, scorer: Any) -> Any:
    """The trained causal LM, whole, on this rank's device."""
    state = _full_state(accelerator, scorer)
    lm = accelerator.unwrap_model(scorer).lm
    lm.load_state_dict(state, strict=False)  # FSDP with use_orig_params keeps parameter objects
    return lm
