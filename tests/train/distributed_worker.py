"""One SFT and one DPO run of the training loop, written to disk: run under
``torch.distributed.run`` by test_distributed.py (each rank writes its own files), and in the
test's own process for the single-process side of the comparison.

Usage: python distributed_worker.py MODEL_DIR OUT_DIR [fsdp|frozen]
(fsdp: full fine-tuning sharded with FSDP instead of LoRA under DDP, test_fsdp.py; frozen: LoRA
on the last layer only, trained from the states below it, train/frozen.py, test_frozen.py)
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

# One global batch of 8 split in 2 micro-batches per rank (grad_accum 2 under 2 processes,
# 4 micro-batches of 2 in one process: the accumulation differs, the step must not).
STEPS, BATCH, EVAL_EVERY, PACK_TOKENS = 4, 8, 2, 320


def run(model_dir: str, out: Path, grad_accum: int, strategy: str = "ddp", lora: bool = True,
        last_layers: int | None = None, reuse_frozen: bool = True) -> None:
    import torch
    from safetensors.torch import save_file

    from medtune.models import load_model
    from medtune.tasks import get_task
    from medtune.tasks.rejected import fill_rejected
    from medtune.train import distributed
    from medtune.train.batching import dpo_groups, sft_groups
    from medtune.train.loop import train
    from medtune.train.settings import LoraSettings, TrainSettings

    torch.set_num_threads(1)
    loaded = load_model(model_dir)
    task = get_task("uti")
    examples = fill_rejected(task.generate(28, 3), task, seed=0)
    strata = [json.dumps(ex.label) for ex in examples[:20]]
    out.mkdir(parents=True, exist_ok=True)
    for method, make, lr in (("sft", sft_groups, 3e-3), ("dpo", dpo_groups, 5e-3)):
        groups = make(loaded.tokenizer, task, examples, 512)
        settings = TrainSettings(method=method, learning_rate=lr, steps=STEPS, batch_size=BATCH,
                                 grad_accum=grad_accum, eval_every=EVAL_EVERY, beta=0.5, seed=1,
                                 pack_tokens=PACK_TOKENS, strategy=strategy,
                                 lora=LoraSettings(last_layers=last_layers) if lora else None)
        result = train(copy.deepcopy(loaded.model), groups[:20], groups[20:], settings, strata=strata,
                       reuse_frozen=reuse_frozen)
        rank = distributed.rank()
        (out / f"{method}-{rank}.json").write_text(json.dumps({
            "train_losses": result.train_losses,
            "curve": [(p.step, p.eval_loss) for p in result.curve],
            "tokens": result.tokens,
            "world_size": distributed.world_size(),
        }))
        state = {k: v.contiguous() for k, v in result.model.state_dict().items()}
        state.pop("lm_head.weight", None)  # tied to the embedding: saved once
        save_file(state, str(out / f"{method}-{rank}.safetensors"))


if __name__ == "__main__":
    fsdp, frozen = sys.argv[3:] == ["fsdp"], sys.argv[3:] == ["frozen"]
    run(sys.argv[1], Path(sys.argv[2]), grad_accum=2, strategy="fsdp" if fsdp else "ddp", lora=not fsdp,
        last_layers=1 if frozen else None)
