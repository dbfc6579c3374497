"""The few collectives medtune needs across processes (torch.distributed: gloo on CPU, NCCL on
GPU), each a no-op in a single process, so the same code runs under 1 or N processes.

Every rank holds every example; work is split by *contiguous* shards (rank r takes items
``[n*r//W, n*(r+1)//W)``), and results are gathered in rank order, so a gathered list is in the
caller's order, the same on every rank. Objects travel pickled (``all_gather_object``,
``broadcast_object_list``): the values gathered are per-example scores and predictions, small
next to a forward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def active() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    import torch.distributed as dist

    return dist.get_rank() if active() else 0


def world_size() -> int:
    import torch.distributed as dist

    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    return rank() == 0


def barrier() -> None:
    import torch.distributed as dist

    if active():
        dist.barrier()


def bounds(n: int, size: int | None = None, index: int | None = None) -> tuple[int, int]:
    """[start, stop) of shard ``index`` of ``size`` over ``n`` items (default: this rank's)."""
    size = world_size() if size is None else size
    index = rank() if index is None else index
    return n * index // size, n * (index + 1) // size


def broadcast(value: Any = None) -> Any:
    """Rank 0's ``value`` on every rank."""
    import torch.distributed as dist

    if not active():
        return value
    box = [value if is_main() else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(part: Any) -> list[Any]:
    """Every rank's ``part``, in rank order, on every rank."""
    import torch.distributed as dist

    if not active():
        return [part]
    parts: list[Any] = [None] * world_size()
    dist.all_gather_object(parts, part)
    return parts


def sum_all(value: float) -> float:
    """``value`` summed over ranks (the same float on every rank)."""
    return float(sum(gather(value))) if active() else value


def shard_map(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T]) -> list[R]:
    """``fn`` over this rank's contiguous shard of ``items``, gathered: the same list as
    ``fn(items)`` (element for element, when ``fn`` treats items independently) on every rank."""
    if not active():
        return fn(items)
    start, stop = bounds(len(items))
    out: list[R] = []
    for part in gather(fn(items[start:stop]) if stop > start else []):
        out.extend(part)
    return out


def shard_tensor(fn: Callable[[Sequence[T]], Any], items: Sequence[T]) -> Any:
    """Like ``shard_map`` for an ``fn`` returning a tensor whose first dimension follows its
    items (in any multiple: two log-probs per pair), concatenated on the CPU."""
    import torch

    if not active():
        return fn(items).cpu()
    start, stop = bounds(len(items))
    part = fn(items[start:stop]).cpu() if stop > start else None
    parts = [p for p in gather(part) if p is not None]
    return torch.cat(parts) if parts else torch.zeros(0)


def run_on_main(fn: Callable[[], R]) -> R:
    """``fn()`` on rank 0 only; its result (or its exception, re-raised) on every rank.
    Use it for work with side effects on shared state: a file, study.db."""
    if not active():
        return fn()
    result: tuple[bool, Any] = (True, None)
    if is_main():
        try:
            result = (True, fn())
        except BaseException as err:  # every rank must raise, or the others wait forever
            result = (False, err)
    ok, value = broadcast(result)
    if not ok:
        raise value
    return value


def main_first(fn: Callable[[], R]) -> R:
    """``fn()`` on every rank, rank 0's first (it may fill a cache, e.g. a converted model,
    that the others then read); rank 0's exception is raised on every rank."""
    if not active():
        return fn()
    box: dict[str, R] = {}
    run_on_main(lambda: box.__setitem__("value", fn()))
    return box["value"] if is_main() else fn()


def init_from_env(timeout_minutes: float = 30.0) -> None:
    """Join the process group a launcher (torch.distributed.run, accelerate launch) describes
    in the environment: gloo on CPU, NCCL on GPU (accelerate's choice). Nothing otherwise.

    ``timeout_minutes``: how long a rank waits at a collective for the others before it raises
    (a peer that hangs; one that died closes its connections and is noticed at once)."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        from datetime import timedelta

        import torch
        from accelerate import PartialState

        PartialState(cpu=not torch.cuda.is_available(), timeout=timedelta(minutes=timeout_minutes))


def shutdown() -> None:
    """Leave the process group once every rank is done. A rank that exits with it still open
    may abort in gloo's teardown ("terminate called without an active exception", SIGABRT),
    which the launcher reports as a failed rank although the study finished."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
