"""The multiple-comparison family: which p-values are corrected together, m, the threshold.

Only primary comparisons (the one decisive test per endpoint and pair of variants) enter a
family; a secondary test (McNemar next to the F1 test, Wilcoxon next to the t-test, a graded
task's automatic outcomes) never changes another verdict. Families (``statistics.family``):

- ``study``: every primary comparison of the study, m = their number;
- ``task``: each task's primary comparisons, m per task (adding a task changes nothing else);
- ``paper``: Bonferroni with m = the number of tasks, as the paper did (5 tasks: p < .01).

An untestable comparison (p None: too few items) still counts in m, with p read as 1, so m
does not depend on the data. The threshold reported is alpha / m: Bonferroni's, and Holm's for
its smallest p-value (Holm's later steps are more lenient).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medtune.stats.corrections import adjust_pvalues

FAMILIES = ("study", "task", "paper")


@dataclass(frozen=True)
class Family:
    name: str
    correction: str
    alpha: float
    m: int
    threshold: float

    def describe(self) -> str:
        """'family study: 9 primary comparisons, Bonferroni, p < .0056 (alpha .05 / 9)'"""
        what = "task" if self.name == "paper" else "primary comparison"
        what += ("" if self.m == 1 else "s") + (" (the paper's rule)" if self.name == "paper" else "")
        return (f"family {self.name}: m = {self.m} {what}, {self.correction.capitalize()}, "
                f"significant when adjusted p < {_num(self.alpha)} (threshold p < {_num(self.threshold)} "
                f"= {_num(self.alpha)} / {self.m})")


def _num(x: float) -> str:
    return f"{x:.2g}".removeprefix("0") if x < 0.01 else f"{x:.3g}".removeprefix("0")


def adjust_family(pvalues: Sequence[float | None], tasks: Sequence[str], family: str, correction: str,
                  alpha: float, n_tasks: int) -> tuple[list[float | None], dict[str, Family]]:
    """Adjusted p-values of the primary comparisons (input order; None stays None) and the
    family each task's comparisons belong to ({task: Family})."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(FAMILIES)}")
    if family == "paper" and correction != "bonferroni":
        raise ValueError("the paper family is Bonferroni over the number of tasks")
    if len(pvalues) != len(tasks):
        raise ValueError("one task name per p-value")
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(tasks):
        groups.setdefault(t if family == "task" else "", []).append(i)
    adjusted: list[float | None] = [None] * len(pvalues)
    families: dict[str, Family] = {}
    for key, idx in groups.items():
        m = max(1, n_tasks) if family == "paper" else len(idx)
        ps = [1.0 if pvalues[i] is None else float(pvalues[i]) for i in idx]
        if family == "paper":
            adj = [min(1.0, p * m) for p in ps]
        else:
            adj = adjust_pvalues(ps, correction)
        for i, p in zip(idx, adj):
            adjusted[i] = None if pvalues[i] is None else p
        fam = Family(family, correction, alpha, m, alpha / m)
        for i in idx:
            families[tasks[i]] = fam
    return adjusted, families
