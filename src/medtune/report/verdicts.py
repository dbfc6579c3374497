"""From tested comparisons to verdicts: the family correction, the minimum detectable effect,
and one verdict per primary comparison (docs/statistics.md).

Each task's ``comparisons[]`` holds its primary comparisons (one decisive test per endpoint and
pair of variants) and, marked ``secondary``, the tests reported beside them. Only primary ones
enter the family (stats/family.py). Secondary ones get a ``p_adjusted`` for reading only:
Bonferroni with the same m. A primary comparison's ``verdict``:

- "significant": adjusted p < alpha; ``effect`` (b - a) says in which direction;
- "n.s.": not significant; ``mde`` is the smallest difference the test had 80% power to
  detect at the family threshold, and with ``statistics.noninferiority_margin`` set, ``as_good``
  says whether the interval of b - a lies above -margin;
- "too few items to test": no p (degenerate data, stats/paired.py, stats/f1diff.py).
"""

from __future__ import annotations

from typing import Any

from medtune.stats.family import Family, adjust_family
from medtune.stats.power import mde_normal, paired_t_mde

DECISIVE = {
    "permutation_f1": "paired permutation test of the F1 difference (approximate randomization)",
    "mcnemar_exact": "exact McNemar test (paired correct/incorrect)",
    "paired_t": "two-tailed paired t-test of the mean score difference",
}
RULE = ("A variant beats another when, on at least one endpoint, the decisive test is significant "
        "after the family correction and its effect favours it, and no endpoint is significantly "
        "worse; a non-significant difference is inconclusive, not 'as good', unless a "
        "non-inferiority margin is set and the interval of the difference lies above -margin.")


def _all_comparisons(task: dict) -> list[dict]:
    """Every comparison object of a task once (graded sections share objects with the headline)."""
    seen: dict[int, dict] = {}
    for c in task.get("comparisons", []):
        seen[id(c)] = c
    for source in (task.get("graded") or {}).values():
        for c in source.get("comparisons", []):
            seen.setdefault(id(c), c)
    for c in (task.get("automatic") or {}).get("comparisons", []):
        seen.setdefault(id(c), c)
    return list(seen.values())


def apply_family(tasks: dict[str, dict], statistics) -> dict[str, Any]:
    """Fill p_adjusted, significant, verdict, mde (and as_good) into every comparison, the
    ``family`` of every task; return the top-level statistics keys of results.json."""
    primary: list[tuple[str, dict]] = []
    secondary: list[tuple[str, dict]] = []
    for name, task in tasks.items():
        headline = {id(c) for c in task.get("comparisons", [])}
        for c in _all_comparisons(task):
            c["primary"] = id(c) in headline and not c.get("secondary")
            (primary if c["primary"] else secondary).append((name, c))
    adjusted, families = adjust_family([c["p"] for _, c in primary], [t for t, _ in primary],
                                       statistics.family, statistics.correction, statistics.alpha,
                                       n_tasks=len(tasks))
    for (name, c), p_adj in zip(primary, adjusted):
        _verdict(c, p_adj, families[name], statistics)
    default = Family(statistics.family, statistics.correction, statistics.alpha, 1, statistics.alpha)
    for name, c in secondary:
        fam = families.get(name, default)
        c["p_adjusted"] = None if c.get("p") is None else min(1.0, c["p"] * fam.m)
        c["significant"] = c["p_adjusted"] is not None and c["p_adjusted"] < statistics.alpha
    for name, task in tasks.items():
        fam = families.get(name, default if statistics.family != "paper" else
                           Family("paper", "bonferroni", statistics.alpha, len(tasks), statistics.alpha / len(tasks)))
        tests = sorted({c["test"] for c in task.get("comparisons", []) if c.get("primary")})
        task["family"] = {"name": fam.name, "m": fam.m, "threshold": fam.threshold,
                          "correction": fam.correction, "text": fam.describe(),
                          "decisive_test": [DECISIVE.get(t, t) for t in tests]}
    if statistics.family == "task":
        m = len(primary)
        threshold = None
    else:
        some = next(iter(families.values()), None)
        m = some.m if some else (len(tasks) if statistics.family == "paper" else 0)
        threshold = statistics.alpha / max(m, 1)
    return {"family": statistics.family, "n_comparisons": m, "threshold": threshold,
            "decision_rule": RULE, "noninferiority_margin": statistics.noninferiority_margin}


def _verdict(c: dict, p_adj: float | None, fam: Family, statistics) -> None:
    c["p_adjusted"] = p_adj
    c["significant"] = p_adj is not None and p_adj < statistics.alpha
    c["threshold"] = fam.threshold
    if c.get("effect") is None and c.get("mean_diff") is not None:
        c["effect"] = c["mean_diff"]
    if p_adj is None:
        c["verdict"] = c.get("note") or "too few items to test"
        return
    c["verdict"] = "significant" if c["significant"] else "n.s."
    if c["significant"]:
        return
    c["mde"] = _mde(c, fam.threshold, statistics.power)
    margin = statistics.noninferiority_margin
    ci = c.get("effect_ci95")
    if margin is not None and ci and ci[0] is not None:
        c["as_good"] = bool(ci[0] > -margin)


def _mde(c: dict, threshold: float, power: float) -> float | None:
    if c["test"] == "paired_t":
        return paired_t_mde(c.get("sd_diff") or 0.0, c.get("n", 0), threshold, power)
    se = c.get("effect_se")
    return None if not se else mde_normal(se, threshold, power)


def family_note(results: dict) -> str:
    """The report's Statistics line: the family, m, the threshold, which test decides, the rule."""
    fam, alpha = results.get("family"), results.get("alpha", 0.05)
    correction = str(results.get("correction") or "bonferroni").capitalize()
    if fam == "task":
        head = (f"family task: each task's primary comparisons corrected on their own ({correction}, "
                f"alpha {alpha:g}); m and the threshold are given per task")
    else:
        m = results.get("n_comparisons") or 1
        what = ("task" if fam == "paper" else "primary comparison") + ("" if m == 1 else "s")
        head = (f"family {fam}: m = {m} {what}, {correction}, threshold p < {alpha / m:.2g} "
                f"(alpha {alpha:g} / {m})")
    used = sorted({d for t in results.get("tasks", {}).values() for d in (t.get("family") or {}).get("decisive_test", [])})
    classification = any(t.get("kind", "classification") == "classification" for t in results.get("tasks", {}).values())
    beside = " McNemar on accuracy is reported beside the F1 test as the paper's test; it does not decide." if classification else ""
    return f"{head}. Decisive test{'s' if len(used) != 1 else ''}: {'; '.join(used) or 'none recorded'}.{beside} " + RULE
