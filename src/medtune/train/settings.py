"""What a training run is told (``TrainSettings``, ``LoraSettings``) and the LoRA adapter those
settings put on a model. The loop (loop.py), the parallel wrapper (parallel.py), checkpoints
(checkpoint.py) and export all use them, so they live below all of those."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch


@dataclass(frozen=True)
class LoraSettings:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    target_modules: str | list[str] = "all-linear"
    # Adapt only the last N transformer layers (None: all). The backward pass then stops at
    # the lowest adapted layer, which makes a step cheaper on a CPU budget.
    last_layers: int | None = None


@dataclass(frozen=True)
class TrainSettings:
    method: Literal["sft", "dpo"]
    learning_rate: float
    steps: int
    batch_size: int = 8
    grad_accum: int = 1
    eval_every: int = 10
    beta: float = 0.1
    seed: int = 0
    lora: LoraSettings | None = field(default_factory=LoraSettings)
    warmup_steps: int = 0
    schedule: Literal["constant", "linear", "cosine"] = "constant"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    pack_tokens: int = 1024  # tokens per packed row
    strategy: Literal["ddp", "fsdp"] = "ddp"  # across processes (FSDP: GPU or CPU)
    dtype: Literal["fp32", "bf16"] = "fp32"  # compute type (train/precision.py); weights stay fp32
    mixed_precision: Literal["no", "bf16"] = "no"  # older spelling of dtype="bf16"

    @property
    def compute(self) -> Literal["fp32", "bf16"]:
        """The type matmuls run in: bf16 autocast if either field asks for it."""
        return "bf16" if "bf16" in (self.dtype, self.mixed_precision) else "fp32"


def quiet_deprecation() -> None:
    """accelerate and peft ask transformers about gradient checkpointing through a deprecated
    name; the warning says nothing a medtune user can act on."""
    import warnings

    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


def apply_lora(model: Any, lora: LoraSettings, seed: int) -> Any:
    from peft import LoraConfig, get_peft_model

    quiet_deprecation()

    torch.manual_seed(seed)  # LoRA A matrices are randomly initialised
    layers, target = None, lora.target_modules
    if lora.last_layers is not None:
        n = model.config.num_hidden_layers
        layers = list(range(max(0, n - lora.last_layers), n))
        if target == "all-linear":  # peft takes a layer subset only with explicit module names
            target = sorted({name.rsplit(".", 1)[-1] for name, mod in model.get_decoder().named_modules()
                             if isinstance(mod, torch.nn.Linear)})
    config = LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=target,
        layers_to_transform=layers,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)
