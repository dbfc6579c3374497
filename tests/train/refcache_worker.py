"""The DPO reference cache of the tiny model's pairs, filled or read in ``CACHE_DIR``: run under
``torch.distributed.run`` by test_refcache.py (each rank writes what it saw), and in the
test's own process for the single-process side.

Usage: python refcache_worker.py MODEL_DIR CACHE_DIR OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def run(model_dir: str, cache_dir: Path, out: Path) -> None:
    import torch

    from medtune.models import load_model
    from medtune.tasks import get_task
    from medtune.tasks.rejected import fill_rejected
    from medtune.train import distributed
    from medtune.train.batching import dpo_groups
    from medtune.train.refcache import ReferenceCache

    torch.set_num_threads(1)
    distributed.init_from_env()
    loaded = load_model(model_dir)
    task = get_task("uti")
    pairs = dpo_groups(loaded.tokenizer, task, fill_rejected(task.generate(16, 3), task, seed=0), 512)
    cache = ReferenceCache(cache_dir, loaded.model, pack_tokens=256)
    values = cache.logprobs(pairs)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"rank-{distributed.rank()}.json").write_text(json.dumps({
        "world_size": distributed.world_size(), "file": cache.path(pairs).name,
        "pairs_computed": cache.pairs_computed, "values": values.tolist()}))
    distributed.shutdown()


if __name__ == "__main__":
    run(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
