"""Comparing what two processes computed: floats within a stated tolerance, everything else
(statuses, chosen steps, predicted labels, the shape of the data) exactly.

Why not bit for bit: the same arithmetic in two processes need not run the same kernels. On a
CPU, torch sends matmuls to oneDNN/MKL, which picks a kernel (AMX tiles, AVX-512, blocking) and
splits each reduction over the process's threads; another thread count (a spawned worker, a
launcher's OMP_NUM_THREADS) or another process count (DDP sums the ranks' gradients) sums the
same float32 numbers in another order, and float addition is not associative. Measured on an
Intel Xeon with AMX: eval losses of 6.0704589 vs 6.0704594, a relative 1e-7; after a few
optimizer steps the drift stays below 1e-6. ``REL`` leaves a factor of 10 over that.
"""

from __future__ import annotations

import math
from typing import Any

REL = 1e-5


def assert_close(actual: Any, expected: Any, rel: float = REL, abs_: float = 1e-7, where: str = "") -> None:
    """``actual`` equals ``expected`` (nested dicts, lists, tuples), floats within ``rel``
    (relative) or ``abs_`` (near zero); NaN equals NaN. The message names the first difference."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), \
            f"{where or 'top'}: keys {sorted(map(str, actual))} != {sorted(map(str, expected))}"
        for k in expected:
            assert_close(actual[k], expected[k], rel, abs_, f"{where}[{k!r}]")
    elif isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)) and len(actual) == len(expected), \
            f"{where or 'top'}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, rel, abs_, f"{where}[{i}]")
    elif isinstance(expected, float) and not isinstance(actual, bool) and isinstance(actual, (int, float)):
        same = (math.isnan(actual) and math.isnan(expected)) or math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)
        assert same, f"{where or 'top'}: {actual!r} != {expected!r} (rel {rel})"
    else:
        assert actual == expected, f"{where or 'top'}: {actual!r} != {expected!r}"
