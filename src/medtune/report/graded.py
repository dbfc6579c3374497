"""Graded outcomes (LLM judges, physicians) -> the ``graded`` sections of results.json.

One section per task and grading source, keyed ``judges:<rubric>`` or ``physicians:<rubric>``:
per variant the mean Likert score (Student's t 95% interval) or the proportion judged correct
(Wilson interval); paired comparisons base-SFT, SFT-DPO, base-DPO on the examples both variants
have a verdict for (two-tailed paired t-test AND Wilcoxon signed-rank for Likert, the paper's
test and its rank-based check; exact McNemar for correct/incorrect); and agreement: between
judges (pairwise), or between the two physicians of each doubly graded item (percent and
Cohen's kappa, quadratic-weighted for Likert). ``p_adjusted`` and ``significant`` are filled
by report/verdicts.py: only the headline source's primary test enters the family.

Verdicts are read from study.db only (the judge cache, the grading tables): no model runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from medtune.config import Study
from medtune.stats.agreement import Agreement
from medtune.judges.rubrics import Rubric, get_rubric
from medtune.report.effects import mcnemar_entry, t_entries
from medtune.stats import mcnemar_exact, mean_interval, wilson_interval

PRIMARY_TEST = {"likert": "paired_t", "binary": "mcnemar_exact"}


def _finite(x: float | None) -> float | None:
    """JSON has no NaN or infinity: an undefined number is null."""
    return None if x is None or not math.isfinite(x) else float(x)


def _variant(rubric: Rubric, scores: Sequence[float], n_outputs: int) -> dict[str, Any]:
    n = len(scores)
    if rubric.kind == "likert":
        ci = mean_interval(scores) if n else None
        value = sum(scores) / n if n else None
    else:
        k = int(sum(scores))
        ci, value = (wilson_interval(k, n) if n else None), (k / n if n else None)
    return {"value": value, "ci95": None if ci is None else [_finite(ci[0]), _finite(ci[1])],
            "n": n, "n_missing": n_outputs - n}


def _comparisons(rubric: Rubric, outcomes: dict[str, dict[str, float]],
                 pairs: Sequence[tuple[str, str]], alpha: float = 0.05) -> list[dict[str, Any]]:
    """b against a on the example ids both have a verdict for; mean_diff is mean(b - a)."""
    out = []
    for a, b in pairs:
        if a not in outcomes or b not in outcomes:
            continue
        ids = sorted(set(outcomes[a]) & set(outcomes[b]))
        xa, xb = [outcomes[a][i] for i in ids], [outcomes[b][i] for i in ids]
        if not ids:
            continue
        base = {"a": a, "b": b, "endpoint": None, "n": len(ids)}
        if rubric.kind == "binary":
            test = mcnemar_exact([x == 1.0 for x in xa], [x == 1.0 for x in xb])
            out.append({**mcnemar_entry(test, base, alpha, primary=True),
                        "mean_diff": (sum(xb) - sum(xa)) / len(ids)})
            continue
        # the paper's paired t-test, and Wilcoxon's as a rank-based check (as report/outcomes.py)
        out += t_entries(xb, xa, base, alpha)
    return out


def _agreement(raters: str, a: Agreement, rubric: Rubric) -> dict[str, Any]:
    return {"raters": raters, "n": a.n, "percent": _finite(a.percent), "kappa": _finite(a.kappa),
            "weights": "quadratic" if rubric.kind == "likert" else "none"}


def section(rubric: Rubric, outcomes: dict[str, dict[str, float]], n_outputs: dict[str, int],
            pairs: Sequence[tuple[str, str]], alpha: float = 0.05) -> dict[str, Any]:
    """Per-variant summaries and paired comparisons of one source's {variant: {example: value}}."""
    return {
        "rubric": rubric.name,
        "kind": rubric.kind,
        "metric": "likert" if rubric.kind == "likert" else "accuracy",
        "variants": {v: _variant(rubric, list(o.values()), n_outputs.get(v, len(o)))
                     for v, o in outcomes.items()},
        "comparisons": _comparisons(rubric, outcomes, pairs, alpha),
    }


def unparseable_rates(per_variant: dict[str, Any]) -> dict[str, float]:
    """{judge: share of its replies that did not parse}, over every variant it judged."""
    counts: dict[str, list[int]] = {}
    for result in per_variant.values():
        for judge, verdicts in result.verdicts.items():
            c = counts.setdefault(judge, [0, 0])
            c[0] += sum(v is None for v in verdicts.values())
            c[1] += len(verdicts)
    return {j: bad / n for j, (bad, n) in counts.items() if n}


def graded_sources(store: Any, study: Study, task: str, variants: Sequence[str],
                   pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """{source key: section} for one task; empty when nothing graded it."""
    from medtune.grading import outcomes, statistics
    from medtune.judges.jury import jury_outcomes
    from medtune.judges.stage import judge_task

    n_outputs = {v: len(store.predictions(task, v, "test")) for v in variants}
    out: dict[str, dict[str, Any]] = {}
    judged = None if study.judges is None else judge_task(store, study.judges, task, call=False, variants=variants)
    if judged is not None:
        got = {v: o for v, o in jury_outcomes(judged.per_variant).items() if o}
        if got:
            r = judged.rubric
            out[f"judges:{r.name}"] = {
                "source": "judges", "judges": judged.judges,
                "aggregate": study.judges.likert if r.kind == "likert" else "majority",
                **section(r, got, n_outputs, pairs, study.statistics.alpha),
                "agreement": [_agreement(k.replace("|", " | "), a, r) for k, a in judged.agreement.items()],
                "unparseable": unparseable_rates(judged.per_variant),
            }
    rubrics = store.graded_rubrics(task)
    inter_rater = statistics(store) if rubrics else {}
    for name in rubrics:
        got = {v: o for v, o in outcomes(store, task, name).items() if o and v in variants}
        if not got:
            continue
        r = get_rubric(name)
        agree = inter_rater.get((task, name))
        out[f"physicians:{name}"] = {
            "source": "physicians",
            **section(r, got, n_outputs, pairs, study.statistics.alpha),
            "agreement": [] if agree is None else [_agreement("two graders per item", agree, r)],
        }
    return out


def primary(graded: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
    """For a task without label endpoints (open-ended), the source its headline metric comes
    from: the judges if configured, else the physicians; (key, section) or ("", None)."""
    keys = sorted(graded, key=lambda k: (not k.startswith("judges:"), k))
    return (keys[0], graded[keys[0]]) if keys else ("", None)
