"""Graded outcomes (LLM judges, physicians) -> the ``graded`` sections of results.json.

One section per task and grading source, keyed ``judges:<rubric>`` or ``physicians:<rubric>``:
per variant the mean Likert score (Student's t 95% interval) or the proportion judged correct
(Wilson interval); paired comparisons base-SFT, SFT-DPO, base-DPO on the examples both variants
have a verdict for (two-tailed paired t-test AND Wilcoxon signed-rank for Likert, the paper's
test and its rank-based check; exact McNemar for correct/incorrect); and agreement: between
judges (pairwise), or between the two physicians of each doubly graded item (percent and
Cohen's kappa, quadratic-weighted for Likert). ``p_adjusted`` and ``significant`` are filled
by report/verdicts.py: only the headline source's primary test enters the family.

Verdicts are read from study.db only: the jury's as the judge stage stored them
(store/verdicts.py), the physicians' from the grading tables. No prompt is rebuilt, no judge
or model runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from medtune.config import Study
from medtune.errors import UserError
from medtune.judges.rubrics import Rubric, get_rubric
from medtune.report.effects import finite, paired_tests
from medtune.stats import mean_interval, wilson_interval
from medtune.stats.agreement import Agreement, pairwise

PRIMARY_TEST = {"likert": "paired_t", "binary": "mcnemar_exact"}


def _variant(rubric: Rubric, scores: Sequence[float], n_outputs: int) -> dict[str, Any]:
    n = len(scores)
    if rubric.kind == "likert":
        ci = mean_interval(scores) if n else None
        value = sum(scores) / n if n else None
    else:
        k = int(sum(scores))
        ci, value = (wilson_interval(k, n) if n else None), (k / n if n else None)
    return {"value": value, "ci95": None if ci is None else [finite(ci[0]), finite(ci[1])],
            "n": n, "n_missing": n_outputs - n}


def _comparisons(rubric: Rubric, outcomes: dict[str, dict[str, float]],
                 pairs: Sequence[tuple[str, str]], alpha: float = 0.05) -> list[dict[str, Any]]:
    """b against a on the example ids both have a verdict for; mean_diff is mean(b - a)."""
    out = []
    for a, b in pairs:
        if a not in outcomes or b not in outcomes or not set(outcomes[a]) & set(outcomes[b]):
            continue
        # in example id order: physicians' grades come in the order they were put up for grading
        found = paired_tests(rubric.kind, dict(sorted(outcomes[a].items())), outcomes[b],
                             {"a": a, "b": b, "endpoint": None}, alpha)
        for c in found:
            if c["test"] == "mcnemar_exact":  # the difference of proportions correct, b - a
                c["mean_diff"] = c["effect"]
        out += found
    return out


def _agreement(raters: str, a: Agreement, rubric: Rubric) -> dict[str, Any]:
    return {"raters": raters, "n": a.n, "percent": finite(a.percent), "kappa": finite(a.kappa),
            "weights": rubric.kappa_weights}


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

    n_outputs = {v: len(store.predictions(task, v, "test")) for v in variants}
    out: dict[str, dict[str, Any]] = {}
    judged = _judges(store, study, task, variants, pairs, n_outputs)
    if judged is not None:
        out[f"judges:{judged['rubric']}"] = judged
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


def _judges(store: Any, study: Study, task: str, variants: Sequence[str], pairs: Sequence[tuple[str, str]],
            n_outputs: dict[str, int]) -> dict[str, Any] | None:
    """The jury's section from the verdicts the judge stage stored; None when the study has no
    judges for the task or they gave no verdict. A jury that never stored verdicts for outputs
    that exist (a directory judged by an older medtune, or a jury changed in the study file
    since) is an error that says how to store them: the report cannot judge."""
    if study.judges is None or task not in study.judges.rubrics:
        return None
    rubric = get_rubric(study.judges.rubrics[task])
    wanted = (rubric.name, [j.name for j in study.judges.jury], study.judges.aggregate(rubric.kind))
    jury = store.jury(task)
    if jury is None or (jury.rubric, jury.judges, jury.aggregate) != wanted:
        if not any(n_outputs.values()):
            return None  # nothing to judge yet
        asked = f"judges {', '.join(wanted[1])} on {wanted[0]} ({wanted[2]})"
        what = (f"study.db has no stored verdicts of the LLM judges ({asked}): they ran under an older "
                "medtune, or the judges section is newer than the study's last run" if jury is None else
                f"study.db holds the verdicts of judges {', '.join(jury.judges)} on {jury.rubric} "
                f"({jury.aggregate}), the study file asks for {asked}")
        raise UserError(
            f"task {task!r}: {what}. The report reads the verdicts stored when the judges ran: run the study "
            "again on its directory (medtune study run STUDY.yaml --out DIR; stored stages are skipped, and "
            "verdicts already in the judge cache are stored without calling a judge), then medtune study "
            "report DIR.")
    per_variant = {v: r for v in variants if (r := store.jury_verdicts(task, v)) is not None}
    got = {v: {e: x for e, x in r.final.items() if x is not None} for v, r in per_variant.items()}
    got = {v: o for v, o in got.items() if o}
    if not got:
        return None
    # agreement pooled over every judged output of the task (variant/example)
    pooled = {j: {f"{v}/{e}": x for v, r in per_variant.items() for e, x in r.verdicts[j].items()}
              for j in jury.judges}
    agree = pairwise(pooled, rubric.choices, rubric.kappa_weights)
    return {
        "source": "judges", "judges": jury.judges, "aggregate": jury.aggregate,
        **section(rubric, got, n_outputs, pairs, study.statistics.alpha),
        "agreement": [_agreement(k.replace("|", " | "), a, rubric) for k, a in agree.items()],
        "unparseable": unparseable_rates(per_variant),
    }


def primary(graded: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
    """For a task without label endpoints (open-ended), the source its headline metric comes
    from: the judges if configured, else the physicians; (key, section) or ("", None)."""
    keys = sorted(graded, key=lambda k: (not k.startswith("judges:"), k))
    return (keys[0], graded[keys[0]]) if keys else ("", None)
