"""Progress as plain lines, for a run whose output is a log file rather than a terminal.

Rich's bars redraw one line in place; written to a file they print nothing until the run ends
(a 15-minute study looked hung). Here each stage prints a line when it starts and when it ends,
and in between every ``every`` of its units (10% of the stage) or at most every ``seconds``,
each with the time since the run started, flushed at once so ``tail -f`` shows it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class LineProgress:
    def __init__(self, out: TextIO | None = None, seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.seconds, self.clock = out or sys.stdout, seconds, clock
        self.start = clock()
        self.name: str | None = None
        self.total = self.done = self.shown = 0
        self.stage_start = self.last_line = self.start

    def _print(self, text: str) -> None:
        elapsed = int(self.clock() - self.start)
        print(f"[{elapsed // 3600:d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}] {text}", file=self.out, flush=True)
        self.last_line = self.clock()

    def stage(self, name: str, total: int) -> None:
        self.finish()
        self.name, self.total, self.done, self.shown = name, total, 0, 0
        self.stage_start = self.clock()
        self._print(f"{name}: started ({total} {'unit' if total == 1 else 'units'})")

    def advance(self, n: int) -> None:
        if self.name is None:
            return
        self.done += n
        step = max(1, self.total // 10)
        if self.done >= self.total or self.done - self.shown >= step or self.clock() - self.last_line >= self.seconds:
            self.shown = self.done
            self._print(f"{self.name}: {min(self.done, self.total)}/{self.total}")

    def log(self, message: str) -> None:
        self._print(message)

    def finish(self) -> None:
        """End the current stage (the next stage's start, or the end of the run, ends it)."""
        if self.name is not None:
            self._print(f"{self.name}: done in {self.clock() - self.stage_start:.0f} s")
            self.name = None
