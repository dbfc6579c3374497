"""Where an eval-loss curve plateaus: the step count a sweep config is trained to.

The paper probed each config for 1000 steps, read the eval-loss curve, and trained to where it
had stopped improving. The rule here, on the points (step, eval loss) taken every
``eval_every`` steps (step 0 included):

1. Smoothing: each loss is replaced by the mean of itself and the ``smoothing - 1`` points
   before it (a trailing moving average; 1 means no smoothing). Trailing, so a point's
   smoothed value never changes as later points arrive.
2. Plateau: the first point after step 0 whose next ``window`` smoothed values do not improve
   on it by more than ``tolerance`` (relative): ``s[i] - min(s[i+1 .. i+window]) <=
   tolerance * |s[i]|``. A loss that rises again (over-fitting) counts as no improvement.
3. At the end of the curve a window is cut short: the points there are judged on what follows
   them, and the last point has nothing after it, so a curve still improving when the budget
   ends plateaus at its last step (``found`` is then False: more steps might have helped).
4. A curve with a missing loss (NaN: the task has no eval split) plateaus at its last step.

Step 0 (the starting model) is never chosen: a candidate of the sweep is a trained model, and
the starting model is evaluated on test anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PlateauRule:
    smoothing: int = 1  # points in the trailing moving average
    window: int = 3  # later points that must not improve on the plateau point
    tolerance: float = 0.01  # relative improvement that still counts as flat

    def __post_init__(self) -> None:
        if self.smoothing < 1 or self.window < 1 or self.tolerance < 0:
            raise ValueError(f"invalid plateau rule {self}")


@dataclass(frozen=True)
class Plateau:
    step: int
    found: bool  # False: the curve was still improving at its last step (or has no losses)
    smoothed: list[float]


def smooth(values: Sequence[float], k: int) -> list[float]:
    """Trailing moving average over ``k`` points (fewer at the start)."""
    return [sum(values[max(0, i - k + 1) : i + 1]) / (i + 1 - max(0, i - k + 1)) for i in range(len(values))]


def _flat(s: list[float], i: int, rule: PlateauRule) -> bool:
    later = s[i + 1 : i + 1 + rule.window]
    return not later or s[i] - min(later) <= rule.tolerance * abs(s[i])


def find_plateau(curve: Sequence[tuple[int, float]], rule: PlateauRule) -> Plateau:
    """The plateau of a finished curve [(step, eval loss)], ascending steps, step 0 first."""
    if len(curve) < 2:
        raise ValueError("a curve needs step 0 and at least one later point")
    steps = [s for s, _ in curve]
    losses = [v for _, v in curve]
    if any(math.isnan(v) for v in losses):
        return Plateau(steps[-1], False, losses)
    s = smooth(losses, rule.smoothing)
    i = next(i for i in range(1, len(s)) if _flat(s, i, rule))  # the last point always is
    return Plateau(steps[i], i < len(s) - 1, s)


def steps_to_keep(curve: Sequence[tuple[int, float]], rule: PlateauRule) -> set[int]:
    """Steps of a curve still growing whose checkpoints the final plateau may pick.

    A point whose window is complete is settled: the first settled flat point is the plateau
    whatever comes later; a settled point that is not flat never will be. Only the unsettled
    points (the last ``window``) remain open until one is settled flat."""
    steps = [s for s, _ in curve]
    losses = [v for _, v in curve]
    if any(math.isnan(v) for v in losses):
        return {steps[-1]}
    s = smooth(losses, rule.smoothing)
    settled = len(s) - 1 - rule.window  # points 1..settled have a full window
    for i in range(1, settled + 1):
        if _flat(s, i, rule):
            return {steps[i]}
    return {steps[i] for i in range(max(1, settled + 1), len(s))}
