"""Which process of a study does what: the one place the stages' multi-process decisions live.

Under a launcher (``--processes N``, torchrun, accelerate launch) every rank runs the same
study code, so every rank takes part in training and evaluation. Rank 0 alone:
- locks the study directory and opens study.db; the other ranks see it through
  ``SharedStore`` (shared.py), each call run on rank 0 and its result broadcast;
- writes and deletes files of the study directory (``main_only``: checkpoints, study.yaml);
- talks to the outside: progress display, TensorBoard/MLflow, served baselines, judges, the
  report (``on_main``);
- fills caches first that the others then read (``main_first``: a converted model).
Work on examples is split in contiguous shards and gathered in example order (``shard``).
In one process each of these is a plain call, so 1 and N processes run one code path.

A fan-out worker (fanout.py) is a process of its own, alone in its world: it builds its stage
context with the same ``open_context`` as the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from medtune.config import Study
from medtune.errors import UserError
from medtune.study.context import Context, Lazy, Progress, device_name
from medtune.study.shared import SharedStore
from medtune.train import distributed

T = TypeVar("T")
R = TypeVar("R")

# the collectives, under the names the stages read them by (train/distributed.py)
is_main = distributed.is_main  # rank 0, the one that writes
count = distributed.world_size  # how many processes run the study
on_main = distributed.run_on_main  # rank 0 runs it; its result (or error) on every rank
main_first = distributed.main_first  # every rank runs it, rank 0 first


def join(study: Study, progress: Progress | None) -> Progress:
    """Take this process's part in the study: die with its launcher, join the process group
    the launcher describes (nothing in one process), check the batch splits over the
    processes. Returns this process's progress hooks: the CLI's on rank 0, silent elsewhere
    (rank 0 reports for every rank: ``shard_progress``)."""
    from medtune.study.launch import die_with_launcher

    die_with_launcher()  # a rank whose launcher is killed does not train on alone
    distributed.init_from_env(study.compute.timeout_minutes)  # docs/scaling.md
    if study.training.batch_size % count():
        raise UserError(f"training.batch_size {study.training.batch_size} does not split evenly over "
                        f"{count()} processes; make it a multiple of the process count")
    return progress if progress is not None and is_main() else Progress()


def leave() -> None:
    """Leave the process group once every rank is done (not after an error: a dead peer would
    never reach the barrier)."""
    distributed.shutdown()


def main_only(fn: Callable[[], Any]) -> None:
    """``fn()`` on rank 0, nothing on the others, and nobody waits: for a file rank 0 writes
    or deletes that the others reach only through a later store call (a checkpoint)."""
    if is_main():
        fn()


def shard(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T]) -> list[R]:
    """``fn`` over this process's contiguous shard of ``items``, gathered in item order: the
    same list as ``fn(items)`` on every rank."""
    return distributed.shard_map(fn, items)


def shard_progress(progress: Progress) -> Callable[[int], None]:
    """``advance`` for work split across processes: only rank 0 reports (the others' hooks are
    silent), so its share counts for every process's, which run at the same pace."""
    world = count()
    return lambda n: progress.advance(n * world)


def open_store(out_dir: Path, lock: bool = True) -> SharedStore:
    """study.db, opened by rank 0 (after taking the directory's lock: ``lock=False`` in a
    fan-out worker, whose parent holds it), seen from every rank."""
    from medtune.store import Store

    held: dict[str, Any] = {}

    def open_on_main() -> None:
        held["lock"] = _lock(out_dir) if lock else None
        try:
            held["store"] = Store(out_dir / "study.db")
        except BaseException:
            if held["lock"] is not None:
                held["lock"].close()
            raise

    on_main(open_on_main)
    return SharedStore(held.get("store"), held.get("lock"))


def _lock(out_dir: Path):
    """An exclusive lock on the study directory for this process's lifetime: two processes
    running one study would train the same runs twice. The OS drops it when the process dies,
    so a killed study never leaves a stale lock. (No locking where fcntl is missing: Windows.)"""
    try:
        import fcntl
    except ImportError:
        return None
    f = open(out_dir / ".lock", "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise UserError(f"{out_dir}: another medtune process is running this study; let it finish "
                        "(or stop it) before running the study again") from None
    return f


def open_context(study: Study, store: SharedStore, out_dir: Path, progress: Progress) -> Context:
    """The context every stage gets, built the same way in the runner's processes and in a
    fan-out worker: the Hub model's commit pinned in study.db (rank 0 resolves it on the first
    run; later runs and workers find it pinned, so the others then find it cached), the model
    loaded (rank 0 first: it may convert a bundled model into the cache the others read)."""
    from medtune.models import load_model
    from medtune.models.hub import pinned_revision
    from medtune.train.precision import weights_dtype

    revision = on_main(lambda: pinned_revision(store.local, study.model, study.revision))
    progress.log(f"loading model {study.model} ({study.training.dtype})")
    loaded = main_first(lambda: load_model(study.model, weights_dtype(study.training.dtype), revision,
                                           study.chat_template))
    progress.log(f"model loaded: {sum(p.numel() for p in loaded.model.parameters()) / 1e6:.0f}M parameters")
    return Context(study, store, loaded.tokenizer, progress, out_dir, device_name(), Lazy(lambda: loaded.model))
