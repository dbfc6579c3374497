"""``medtune study plan``: how many test examples each comparison needs for the study's power
(``statistics.power``, 80% by default) at its family threshold, and the power of the test size
the study file plans (``tasks[].sizes.test``).

Effects come from assumptions (``--assume``) or from a pilot study's results.json (``--from``):

- ``TASK[.ENDPOINT]:accuracy=BASE,SFT`` / ``TASK:f1=BASE,SFT`` assumed rates of base and SFT;
  ``TASK:discordant=SFT_ONLY,BASE_ONLY,N`` a pilot's McNemar counts (examples only SFT / only
  base got right, of N). Rates without discordance assume the two models err independently.
  An F1 alone is turned into an accuracy by assuming balanced errors (stats/power.py).
- a pilot: every primary comparison's observed effect and standard error (the F1 test), its
  McNemar counts, or its paired t-test's mean and sd of the differences.

Which test each row powers: the decisive F1 permutation test (normal approximation of its
bootstrap SE; stats/power.py) and, for accuracy, the paper's exact McNemar test (exact power).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medtune.errors import UserError
from medtune.stats import power as pw

PAIRS = (("base", "sft"), ("sft", "dpo"), ("base", "dpo"))


@dataclass(frozen=True)
class PlanRow:
    task: str
    endpoint: str
    comparison: str
    test: str
    basis: str
    effect: float
    n_needed: int | None
    planned: int | None
    power_at_planned: float | None


def thresholds(study) -> dict[str, tuple[int, float]]:
    """{task: (m, alpha / m)} of the family the study's report will use (stats/family.py)."""
    from medtune.tasks import get_task

    per_task = {e.task: len(PAIRS) * max(1, len(get_task(e.task).endpoints)) for e in study.tasks}
    fam, alpha = study.statistics.family, study.statistics.alpha
    if fam == "paper":
        m_all = len(study.tasks)
    else:
        m_all = sum(per_task.values())
    return {t: (m if fam == "task" else m_all, alpha / (m if fam == "task" else m_all))
            for t, m in per_task.items()}


def parse_assumptions(items: list[str]) -> dict[tuple[str, str | None], dict[str, tuple[float, ...]]]:
    """{(task, endpoint or None): {key: values}} from TASK[.ENDPOINT]:KEY=V,V items."""
    out: dict[tuple[str, str | None], dict[str, tuple[float, ...]]] = {}
    sizes = {"accuracy": 2, "f1": 2, "discordant": 3}
    for item in items:
        where, sep, rest = item.partition(":")
        key, sep2, values = rest.partition("=")
        task, _, endpoint = where.partition(".")
        try:
            nums = tuple(float(v) for v in values.split(","))
        except ValueError:
            nums = ()
        if not (sep and sep2 and task) or key not in sizes or len(nums) != sizes[key]:
            raise UserError(f"--assume {item!r}: expected TASK:accuracy=BASE,SFT, TASK:f1=BASE,SFT or "
                            "TASK:discordant=SFT_ONLY,BASE_ONLY,N (e.g. uti:discordant=65,32,160)")
        out.setdefault((task, endpoint or None), {})[key] = nums
    return out


def _joint(a: dict[str, tuple[float, ...]], prevalence: float) -> tuple[float, float, float, float]:
    """(both right, only base right, only SFT right, both wrong) for the planning model."""
    acc = a.get("accuracy")
    if acc is None and "f1" in a:
        acc = tuple(pw.accuracy_from_f1(f, prevalence) for f in a["f1"])
    if "discordant" in a:
        b_only, a_only, n = a["discordant"]
        p01, p10 = b_only / n, a_only / n
        p11 = (acc[0] - p10) if acc else (1 - p01 - p10) / 2
        p11 = min(max(p11, 0.0), 1 - p01 - p10)
        return (p11, p10, p01, 1 - p11 - p10 - p01)
    if acc is None:
        raise UserError("an assumption needs accuracy, f1 or discordant counts")
    aa, ab = acc
    return (aa * ab, aa * (1 - ab), (1 - aa) * ab, (1 - aa) * (1 - ab))


def plan_assumed(study, assumptions: list[str], prevalence: float = 0.5) -> list[PlanRow]:
    from medtune.tasks import get_task

    limits = thresholds(study)
    planned = {e.task: e.sizes.test if e.sizes else None for e in study.tasks}
    rows = []
    for (task_name, endpoint), a in parse_assumptions(assumptions).items():
        if task_name not in limits:
            raise UserError(f"--assume: task {task_name!r} is not in the study (tasks: {', '.join(limits)})")
        m, thr = limits[task_name]
        joint = _joint(a, prevalence)
        n_plan = planned[task_name]
        basis = ", ".join(f"{k}={'/'.join(f'{v:g}' for v in vals)}" for k, vals in a.items())
        endpoints = [endpoint] if endpoint else [ep.name for ep in get_task(task_name).endpoints]
        for ep in endpoints:
            delta, sd = pw.f1_difference_sd(prevalence, joint, seed=study.seed)
            n_f1 = pw.n_normal(delta, sd * (1000 ** 0.5), 1, thr, study.statistics.power) if delta else None
            rows.append(PlanRow(task_name, ep, "SFT vs base", "permutation F1 (decisive)",
                                f"{basis}, prevalence {prevalence:g}", delta, n_f1, n_plan,
                                None if not n_plan else pw.power_normal(delta, sd * (1000 / n_plan) ** 0.5, thr)))
            p10, p01 = joint[1], joint[2]
            if p10 != p01:
                n_mc, _ = pw.mcnemar_n(p10, p01, thr, study.statistics.power)
                rows.append(PlanRow(task_name, ep, "SFT vs base", "McNemar exact (paper's)", basis, p01 - p10,
                                    n_mc, n_plan, None if not n_plan else pw.mcnemar_power(n_plan, p10, p01, thr)))
    return rows


def plan_pilot(study, pilot: Path) -> list[PlanRow]:
    """Rows from a pilot study directory's report/results.json (its observed effects)."""
    path = Path(pilot) / "report" / "results.json"
    if not path.exists():
        raise UserError(f"{path}: no pilot results; run the pilot (medtune study run) or give its directory")
    results = json.loads(path.read_text())
    limits = thresholds(study)
    planned = {e.task: e.sizes.test if e.sizes else None for e in study.tasks}
    rows = []
    for name, task in results.get("tasks", {}).items():
        if name not in limits:
            continue
        _, thr = limits[name]
        n_plan = planned[name]
        for c in task.get("comparisons", []):
            row = _pilot_row(name, c, thr, n_plan, study.statistics.power)
            if row:
                rows.append(row)
    if not rows:
        raise UserError(f"{path}: no comparison with an effect and standard error to plan from; refresh "
                        "it with `medtune study report` on the pilot directory")
    return rows


def _pilot_row(task: str, c: dict[str, Any], thr: float, n_plan: int | None, power: float) -> PlanRow | None:
    what = f"{c['b'].upper()} vs {c['a']}".replace("BASE", "base")
    ep = c.get("endpoint") or "–"
    n = c.get("n") or 0
    if c.get("test") == "permutation_f1" and c.get("effect") and c.get("effect_se"):
        se1 = c["effect_se"] * n ** 0.5
        return PlanRow(task, ep, what, "permutation F1 (decisive)", f"pilot n={n}", c["effect"],
                       pw.n_normal(c["effect"], se1, 1, thr, power), n_plan,
                       None if not n_plan else pw.power_normal(c["effect"], se1 / n_plan ** 0.5, thr))
    if c.get("test") == "mcnemar_exact" and n and c.get("a_only") != c.get("b_only"):
        p10, p01 = c["a_only"] / n, c["b_only"] / n
        return PlanRow(task, ep, what, "McNemar exact (paper's)", f"pilot {c['b_only']}/{c['a_only']} of {n}",
                       p01 - p10, pw.mcnemar_n(p10, p01, thr, power)[0], n_plan,
                       None if not n_plan else pw.mcnemar_power(n_plan, p10, p01, thr))
    if c.get("test") == "paired_t" and c.get("effect") and c.get("sd_diff"):
        from statsmodels.stats.power import TTestPower

        d = abs(c["effect"]) / c["sd_diff"]
        need = TTestPower().solve_power(effect_size=d, nobs=None, alpha=thr, power=power)
        return PlanRow(task, ep, what, "paired t-test", f"pilot n={n}", c["effect"], int(-(-need // 1)), n_plan,
                       None if not n_plan or n_plan < 2 else float(TTestPower().power(d, n_plan, thr)))
    return None
