"""``medtune study run --processes N``: the same command again, under torch.distributed.run.

torch.distributed.run (torchrun, which ``accelerate launch`` also runs underneath) starts N
processes on this node with RANK, WORLD_SIZE and a rendezvous on loopback; each runs the
study (study/runner.py joins the process group: gloo on CPU, NCCL on GPU). Several nodes:
run ``torchrun`` or ``accelerate launch`` yourself on each node (docs/scaling.md); the study
sees WORLD_SIZE and does not relaunch.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(processes: int, study_file: Path, out: Path, overrides: list[str], port: int) -> list[str]:
    sets = [arg for o in overrides for arg in ("--set", o)]
    return [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}", "--nnodes=1",
            "--master_addr=127.0.0.1", f"--master_port={port}",
            "-m", "medtune", "study", "run", str(study_file), "--out", str(out), *sets]


def relaunch(processes: int, study_file: Path, out: Path, overrides: list[str]) -> int:
    """Run the study under ``processes`` processes; their exit code (torchrun reports a failed
    rank as 1: its message, e.g. a bad data file, is in the output above)."""
    return subprocess.call(command(processes, study_file, out, overrides, free_port()))
