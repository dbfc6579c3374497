"""Seconds per optimizer step of the same training on 1, 2, 4 .. N GPUs (data-parallel).

The same global batch (``--batch``, split across processes; train/loop.py) of the same pairs on
the same model, SFT and DPO, under ``torch.distributed.run`` with 1, 2, 4 .. all visible GPUs,
one run after the other. Each run times its steps after ``--warmup`` (``on_step`` timestamps,
median interval), rank 0 reports. Printed: seconds per step per device count, the speedup over
one device and the scaling efficiency (speedup / devices); the last line is one JSON object.

Where no GPU is present (this project's CI machine) it says so, prints a JSON line saying so
and exits 0: CPU processes share the same cores, so a CPU "scaling" figure would measure
contention, not scaling.

    PYTHONPATH=src python benchmarks/scaling.py [--model NAME_OR_DIR] [--steps 12] [--warmup 3]
        [--batch 32] [--pack-tokens 1024] [--dtype bfloat16]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = ("uti", "triage")


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch", type=int, default=32, help="global batch (pairs or examples per step)")
    p.add_argument("--pack-tokens", type=int, default=1024)
    p.add_argument("--dtype", default="bfloat16")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # internal: one run, JSON into this file
    return p.parse_args(argv)


def device_counts(n_gpus: int) -> list[int]:
    """1, 2, 4 .. up to ``n_gpus``, and ``n_gpus`` itself."""
    counts, n = [], 1
    while n < n_gpus:
        counts.append(n)
        n *= 2
    return counts + [n_gpus] if n_gpus else []


def worker(args: argparse.Namespace) -> None:
    """One run under torch.distributed.run: SFT then DPO, per-step timestamps."""
    import copy

    import torch

    from medtune.models import load_model
    from medtune.tasks import get_task
    from medtune.tasks.rejected import fill_rejected
    from medtune.train import distributed
    from medtune.train.batching import dpo_groups
    from medtune.train.loop import train
    from medtune.train.settings import TrainSettings

    distributed.init_from_env()
    loaded = load_model(args.model, args.dtype)
    groups = []
    for name in TASKS:
        task = get_task(name)
        examples = fill_rejected(task.generate(args.batch * 4, 0), task, seed=0)
        groups += dpo_groups(loaded.tokenizer, task, examples, 2048)
    sft = [type(g)(g.prompt, g.completions[:1]) for g in groups]
    out = {"processes": distributed.world_size()}
    for method, data in (("sft", sft), ("dpo", groups)):
        stamps: list[float] = []
        settings = TrainSettings(method=method, learning_rate=1e-5, steps=args.steps, batch_size=args.batch,
                                 eval_every=10**9, pack_tokens=args.pack_tokens,
                                 mixed_precision="bf16" if torch.cuda.is_available() else "no")
        train(copy.deepcopy(loaded.model), data, [], settings, on_step=lambda s, loss: stamps.append(time.perf_counter()))
        intervals = [b - a for a, b in zip(stamps[args.warmup:], stamps[args.warmup + 1:])]
        out[f"{method}_seconds_per_step"] = statistics.median(intervals) if intervals else None
    if distributed.is_main():
        args.worker.write_text(json.dumps(out))


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.worker is not None:
        worker(args)
        return 0
    import torch

    n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if n_gpus == 0:
        print("no GPU present: the scaling benchmark measures 1..N GPUs and has nothing to measure here "
              "(CPU processes would share the same cores)")
        print(json.dumps({"benchmark": "scaling", "gpus": 0, "skipped": "no GPU present"}))
        return 0
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
    rows = []
    for n in device_counts(n_gpus):
        with tempfile.TemporaryDirectory() as tmp:
            result = Path(tmp) / "result.json"
            from medtune.study.launch import free_port

            cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={n}", "--nnodes=1",
                   "--master_addr=127.0.0.1", f"--master_port={free_port()}", __file__,
                   "--worker", str(result), "--model", args.model, "--steps", str(args.steps),
                   "--warmup", str(args.warmup), "--batch", str(args.batch),
                   "--pack-tokens", str(args.pack_tokens), "--dtype", args.dtype]
            subprocess.run(cmd, env=env, check=True)
            rows.append(json.loads(result.read_text()))
        print(f"{n} GPU(s): SFT {rows[-1]['sft_seconds_per_step']:.3f} s/step, "
              f"DPO {rows[-1]['dpo_seconds_per_step']:.3f} s/step", flush=True)
    for r in rows:
        for m in ("sft", "dpo"):
            r[f"{m}_speedup"] = rows[0][f"{m}_seconds_per_step"] / r[f"{m}_seconds_per_step"]
            r[f"{m}_efficiency"] = r[f"{m}_speedup"] / r["processes"]
    print(json.dumps({"benchmark": "scaling", "gpus": n_gpus, "model": args.model, "batch": args.batch,
                      "steps": args.steps, "warmup": args.warmup, "runs": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
