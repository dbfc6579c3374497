"""A sweep's configs trained side by side, one per GPU, when each run needs one device.

With several GPUs, one process (``compute.processes: 1``) and a sweep of several configs, the
configs' probe runs do not take turns on all GPUs: each GPU trains its own configs (``assign``:
round-robin in grid order) in a worker process, at the same time. A worker opens study.db
itself (SQLite in WAL mode takes one writer at a time; a run's rows are its own), builds its
stage context as the runner does, and trains through ``train_run``, exactly as the sequential
sweep would, so a fanned-out run is stored, checkpointed and resumable like any other; the
sweep then continues in the parent, where each finished probe is a skip. On a CPU, under
several processes (DDP or FSDP: every run already uses every device) or with one config,
nothing fans out.
"""

from __future__ import annotations

import os
from pathlib import Path
from medtune.config import Study
from medtune.study.context import Context, Lazy, Progress
from medtune.study.task_data import TaskData


def assign(n_configs: int, devices: list[str]) -> list[list[int]]:
    """Config indices per device: round-robin in grid order (configs of a sweep share a step
    budget, so their costs are alike)."""
    return [list(range(d, n_configs, len(devices))) for d in range(len(devices))]


def fan_out_devices(study: Study, n_configs: int, n_gpus: int | None = None, world_size: int | None = None) -> list[str]:
    """The devices a sweep of ``n_configs`` fans out over: ``cuda:0`` .. (at most one per
    config), or none."""
    if n_gpus is None:
        import torch

        n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if world_size is None:
        from medtune.study import processes

        world_size = processes.count()
    c = study.compute
    if not c.fan_out or c.strategy != "ddp" or world_size > 1 or c.processes > 1 or n_gpus < 2 or n_configs < 2:
        return []
    return [f"cuda:{i}" for i in range(min(n_gpus, n_configs))]


def train_side_by_side(ctx: Context, td: TaskData, method: str, start_spec: tuple,
                       configs: list[tuple[float, float | None]], devices: list[str]) -> None:
    """Train the probe run of every config, ``assign``-ed over ``devices``, in one worker
    process per device; returns when all are done (raises if a worker failed).
    ``start_spec``: ("base",) or ("checkpoint", run_id, step) of the start model."""
    import torch.multiprocessing as mp

    spawn = mp.get_context("spawn")
    workers = []
    for device, indices in zip(devices, assign(len(configs), devices)):
        jobs = [configs[i] for i in indices]
        p = spawn.Process(target=_worker, args=(device, jobs, ctx.study, ctx.out_dir, td, method, start_spec))
        p.start()
        workers.append(p)
    for p in workers:
        p.join()
    failed = [d for d, p in zip(devices, workers) if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"sweep workers on {', '.join(failed)} failed (their error is printed above); "
                           "run the study again to continue")


def _worker(device: str, jobs: list[tuple[float, float | None]], study: Study, out_dir: Path, td: TaskData,
            method: str, start_spec: tuple) -> None:
    """One device's probe runs, in a process of its own: the stage context built as the runner
    builds it (processes.open_context), then ``train_run`` as the sequential sweep calls it."""
    if device.startswith("cuda:"):  # before CUDA starts in this process: it sees its GPU only
        os.environ["CUDA_VISIBLE_DEVICES"] = device.split(":")[1]
    from medtune.config import task_steps
    from medtune.study import processes
    from medtune.study.training import load_checkpoint, probe_keep, run_key, train_run

    store = processes.open_store(out_dir, lock=False)  # the parent holds the directory's lock
    try:
        ctx = processes.open_context(study, store, out_dir, Progress())
        start = ctx.base if start_spec[0] == "base" else Lazy(lambda: load_checkpoint(ctx, ctx.base, *start_spec[1:]))
        steps = task_steps(study, td.task.name, method)
        for lr, beta in jobs:
            train_run(ctx, td, method, start, lr, beta, steps, run_key(td.task.name, method, lr, beta),
                      "probe", probe_keep(study))
    finally:
        store.close()
