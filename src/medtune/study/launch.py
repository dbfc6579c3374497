"""``medtune study run --processes N``: the same command again, in N processes on this node.

The processes are started by torch's elastic launcher, the one inside ``torch.distributed.run``
(torchrun; ``accelerate launch`` runs it too), called here in this process rather than as a
``torchrun`` subprocess, so medtune reads how each rank ended instead of torchrun's exit code
1 and its stack of tracebacks:

- a rank that exits 2 (``UserError``: bad data found after launch, a missing model) printed
  its message; the study exits 2, as it would in one process;
- a rank killed by a signal or failing otherwise: the message names the rank and how it ended,
  and the study exits 1. The launcher stops every other rank as soon as one ends (it polls
  them every ``MONITOR_SECONDS``), so none waits for a dead peer.

Several nodes: run ``torchrun`` or ``accelerate launch`` yourself on each node
(docs/scaling.md); the study sees WORLD_SIZE and does not relaunch.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import uuid
from pathlib import Path

MONITOR_SECONDS = 0.5  # how often the launcher checks that every rank is alive
USER_ERROR = 2  # the exit code of a UserError (cli/__init__.py)
# Where a relaunched rank leaves its UserError's message for the launching process to print once
# (every rank often meets the same error: bad data is read by all).
ERRORS_ENV = "MEDTUNE_RANK_ERRORS"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (benchmarks/scaling.py's rendezvous)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(study_file: Path, out: Path, overrides: list[str]) -> list[str]:
    """What every rank runs, after the Python interpreter."""
    sets = [arg for o in overrides for arg in ("--set", o)]
    return ["-m", "medtune", "study", "run", str(study_file), "--out", str(out), *sets]


def relaunch(processes: int, study_file: Path, out: Path, overrides: list[str]) -> int:
    """Run the study in ``processes`` processes on this node (rendezvous on 127.0.0.1, a free
    port); the exit code: 0, 2 if a rank met a user error, 1 otherwise (printed why)."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    # torchrun's default: one thread per process when a node runs several (no oversubscription)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # The launcher logs each failure and each rank it stops; medtune says it once, below.
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=processes, run_id=uuid.uuid4().hex,
                          rdzv_backend="c10d", rdzv_endpoint="127.0.0.1:0", max_restarts=0,
                          monitor_interval=MONITOR_SECONDS)
    with tempfile.TemporaryDirectory(prefix="medtune-ranks-") as errors:  # owner-only
        os.environ[ERRORS_ENV] = errors
        try:
            elastic_launch(config, sys.executable)(*command(study_file, out, overrides))
        except ChildFailedError as err:
            codes = {rank: f.exitcode for rank, f in err.failures.items()}
            said = _user_errors(Path(errors))
            if said or USER_ERROR in codes.values():
                for line in said:
                    print(f"error: {line}", file=sys.stderr)
                return USER_ERROR
            print(f"error: {failure_message(codes)}", file=sys.stderr)
            return 1
        finally:
            del os.environ[ERRORS_ENV]
    return 0


def die_with_launcher() -> None:
    """Under a launcher (Linux), have the kernel SIGKILL this rank when its launcher dies:
    a launcher killed outright (SIGKILL, the OOM killer) cannot stop its ranks, which would
    otherwise train on as orphans, holding the study directory's lock."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the launcher died before the call above
        os._exit(1)


def report_user_error(err: Exception) -> None:
    """Say a ``UserError`` of this process: on stderr, or, in a rank ``relaunch`` started, to
    the launching process, which prints each distinct message once."""
    from medtune.files import write_atomic

    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    # backslashreplace: a message quoting a lone surrogate from the data must still print
    text = str(err).encode("utf-8", "backslashreplace").decode("utf-8")
    if world > 1 and os.environ.get(ERRORS_ENV):
        write_atomic(Path(os.environ[ERRORS_ENV]) / f"rank-{rank:05d}.txt", text)
        return
    print(f"error: {f'rank {rank}: ' if world > 1 and rank else ''}{text}", file=sys.stderr)


def _user_errors(folder: Path) -> list[str]:
    """The ranks' messages, each once: bare when every rank said the same, else by rank."""
    said = {int(p.stem.split("-")[1]): p.read_text() for p in sorted(folder.glob("rank-*.txt"))}
    if len(set(said.values())) <= 1:
        return list(set(said.values()))
    first: dict[str, int] = {}
    for rank, text in said.items():
        first.setdefault(text, rank)
    return [f"rank {rank}: {text}" for text, rank in first.items()]


def failure_message(codes: dict[int, int]) -> str:
    """Which ranks failed and how (``codes``: rank -> exit code, negative for a signal)."""
    import signal

    def how(code: int) -> str:
        if code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with code {code} (its error is printed above)"

    # The launcher stops the surviving ranks with SIGTERM: those are not the cause.
    causes = {r: c for r, c in codes.items() if c != -signal.SIGTERM} or codes
    ranks = "; ".join(f"rank {rank} {how(code)}" for rank, code in sorted(causes.items()))
    return (f"{ranks}; the other ranks were stopped. Run the same command again to continue the study "
            "from its last checkpoint")


def lost_contact(err: BaseException) -> bool:
    """Whether ``err`` is this rank failing at a collective because a peer died or hung (gloo:
    connection reset or closed; any backend: a timeout). If so, it is said in one line naming
    this rank, instead of a traceback that points at the collective, not at the cause."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    dist = sys.modules.get("torch.distributed")
    collective = dist is not None and isinstance(err, getattr(dist, "DistError", ()))
    text = str(err)
    if world <= 1 or not (collective or "gloo" in text or "Connection reset by peer" in text):
        return False
    rank = os.environ.get("RANK", "0")
    reason = text.split("] ", 1)[-1].split(". ")[0]
    print(f"error: rank {rank}: lost contact with the other processes ({reason}); another rank died or stopped "
          "answering: its output and the launcher's report name it", file=sys.stderr)
    return True
