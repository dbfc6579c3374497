"""TRL trainers set up to compute exactly what medtune's loop computes.

TRL (1.16) is medtune's reference implementation: tests/train/test_trl_reference.py checks
losses and optimizer steps against it, and benchmarks/dpo_cost.py measures its cost per step.
Both build TRL's side here, so they compare against the same thing.

Same data: examples go to TRL in its *conversational* format (prompt = system+user messages,
completion = one assistant message), which TRL tokenizes into exactly medtune's
``medtune.train.batching`` groups (the tests assert this token for token). TRL defaults that
would change the numbers are switched off in ``trl_args``, each saying why.

TRL is a test and benchmark dependency, not a runtime one: it is imported inside functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from medtune.data.records import Example
from medtune.tasks.base import Task
from medtune.train.settings import TrainSettings


def trl_args(config_cls: type, output_dir: str, **overrides: Any) -> Any:
    """A TRL config (``SFTConfig`` or ``DPOConfig``) that changes nothing numerically relative
    to medtune's loop."""
    args = dict(
        output_dir=output_dir,
        report_to="none",
        use_cpu=True,
        bf16=False,  # TRL turns bf16 autocast on by default; medtune trains in fp32
        optim="adamw_torch",  # = torch.optim.AdamW; transformers' default on torch>=2.8 is the fused one
        lr_scheduler_type="constant",  # the default, "linear", decays the lr from the first step
        warmup_steps=0,
        weight_decay=0.0,
        save_strategy="no",
        logging_steps=1,  # one log entry, with its loss, per step
        disable_tqdm=True,
        dataloader_num_workers=0,
        seed=0,
    )
    # TRL's default is on (same numbers, slower); transformers >= 5.24 renamed the field.
    fields = {f.name for f in dataclasses.fields(config_cls)}
    args["activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"] = False
    args.update(overrides)
    return config_cls(**args)


def trl_rows(method: str, task: Task, examples: Sequence[Example]) -> list[dict[str, Any]]:
    """TRL's conversational rows: prompt/chosen/rejected (DPO) or prompt/completion (SFT)."""
    rows = []
    for ex in examples:
        row: dict[str, Any] = {"prompt": ex.messages(task.system_prompt)}
        if method == "dpo":
            row["chosen"] = [{"role": "assistant", "content": ex.chosen}]
            row["rejected"] = [{"role": "assistant", "content": ex.rejected}]
        else:
            row["completion"] = [{"role": "assistant", "content": ex.chosen}]
        rows.append(row)
    return rows


def lora_trainer(model: Any, tokenizer: Any, rows: list[dict[str, Any]], settings: TrainSettings,
                 output_dir: str, **overrides: Any) -> Any:
    """TRL's ``DPOTrainer`` or ``SFTTrainer`` (by ``settings.method``) training a LoRA adapter
    as ``medtune.train.loop.train`` does with the same settings: LoRA config, lr, constant
    schedule, no warm-up, no weight decay, clipping norm, beta, one batch of
    ``settings.batch_size`` per step. With a peft config and no ``ref_model``, TRL's DPO
    reference is the policy with its adapter off, computed at every step (TRL's default).

    TRL seeds torch with ``settings.seed`` right before ``get_peft_model``, as medtune does,
    so both start from the same LoRA init."""
    from datasets import Dataset
    from peft import LoraConfig
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    assert settings.lora is not None and settings.lora.last_layers is None and settings.grad_accum == 1
    common = dict(learning_rate=settings.learning_rate, max_steps=settings.steps,
                  per_device_train_batch_size=settings.batch_size, gradient_accumulation_steps=1,
                  max_grad_norm=settings.max_grad_norm, seed=settings.seed, **overrides)
    if settings.method == "dpo":
        trainer_cls, args = DPOTrainer, trl_args(DPOConfig, output_dir, beta=settings.beta, loss_type="sigmoid", **common)
    else:
        trainer_cls, args = SFTTrainer, trl_args(SFTConfig, output_dir, completion_only_loss=True, packing=False, **common)
    lora = settings.lora
    return trainer_cls(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                               target_modules=lora.target_modules, task_type="CAUSAL_LM"),
    )
