"""results.json entries of a classification task, from per-example (gold, predicted) rows.

Per variant and endpoint: the headline F1 as the paper reports it (positive-class F1 for a
two-label endpoint, macro-F1 over the labels of a multi-class one, stats/f1diff.py) with a
percentile bootstrap interval; accuracy (Wilson interval), sensitivity and specificity of the
positive class; for a multi-class endpoint also the positive class's own F1 (``f1_positive``).
The variant's ``value`` is the headline F1 (the mean over endpoints for a multi-axis task such
as triage; each axis keeps its own verdict).

Per pair of variants and endpoint, two comparisons:
- the decisive one, ``permutation_f1``: the paired difference F1(b) - F1(a) (``effect``), its
  paired bootstrap interval (``effect_ci95``) and a paired approximate-randomization test of
  that same difference; ``primary``: it enters the multiple-comparison family;
- the paper's test, exact McNemar on per-example correctness (accuracy), reported next to it
  (``secondary``), never deciding: accuracy and F1 can move in opposite directions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medtune.evaluate.metrics import classification_metrics, correct
from medtune.stats import bootstrap_interval, mcnemar_exact, wilson_interval
from medtune.report.effects import mcnemar_entry
from medtune.stats.f1diff import endpoint_f1, f1_average, paired_f1_difference


def endpoint_arrays(task, rows: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{endpoint: (gold labels, predicted labels or None)} in the rows' order."""
    out = {}
    for ep in task.endpoints:
        gold = np.array([task.label_dict(r["gold"])[ep.name] for r in rows], dtype=object)
        pred = np.array([None if r["predicted"] is None else task.label_dict(r["predicted"]).get(ep.name)
                         for r in rows], dtype=object)
        out[ep.name] = (gold, pred)
    return out


def variant_summary(task, rows, n_boot: int, seed: int) -> dict[str, Any]:
    arrays = endpoint_arrays(task, rows)
    per_endpoint = {}
    for ep in task.endpoints:
        gold, pred = arrays[ep.name]
        m = classification_metrics(gold, pred, ep.positive)
        k = int(correct(gold, pred).sum())
        per_endpoint[ep.name] = {
            "f1": endpoint_f1(gold, pred, ep.labels, ep.positive),
            "f1_ci95": list(bootstrap_interval(
                lambda g, p, ep=ep: endpoint_f1(g, p, ep.labels, ep.positive), gold, pred,
                n_boot=n_boot, seed=seed)),
            "f1_average": f1_average(ep.labels),
            "accuracy": m["accuracy"],
            "accuracy_ci95": list(wilson_interval(k, len(gold))),
            "sensitivity": m["sensitivity"],
            "specificity": m["specificity"],
        }
        if f1_average(ep.labels) == "macro":
            per_endpoint[ep.name]["f1_positive"] = m["f1"]
    names = [ep.name for ep in task.endpoints]
    if len(names) == 1:
        value, ci = per_endpoint[names[0]]["f1"], per_endpoint[names[0]]["f1_ci95"]
    else:
        golds = [arrays[n][0] for n in names]
        preds = [arrays[n][1] for n in names]

        def mean_f1(*cols):
            half = len(cols) // 2
            return float(np.mean([endpoint_f1(g, p, ep.labels, ep.positive)
                                  for g, p, ep in zip(cols[:half], cols[half:], task.endpoints)]))

        value = mean_f1(*golds, *preds)
        ci = list(bootstrap_interval(mean_f1, *golds, *preds, n_boot=n_boot, seed=seed))
    parse_failures = sum(1 for r in rows if r["predicted"] is None)
    return {
        "value": value,
        "ci95": ci,
        "f1": value,
        "accuracy": float(np.mean([per_endpoint[n]["accuracy"] for n in names])),
        "accuracy_ci95": per_endpoint[names[0]]["accuracy_ci95"] if len(names) == 1 else None,
        "sensitivity": float(np.mean([per_endpoint[n]["sensitivity"] for n in names])),
        "specificity": float(np.mean([per_endpoint[n]["specificity"] for n in names])),
        "parse_failure_rate": parse_failures / len(rows) if rows else 0.0,
        "per_endpoint": per_endpoint,
    }


def comparisons(task, a: str, b: str, ra: list[dict], rb: list[dict], *, n_boot: int,
                n_perm: int, seed: int, alpha: float) -> list[dict[str, Any]]:
    """Per endpoint: the decisive F1 test of b against a, then McNemar (p not yet adjusted)."""
    aa, ab = endpoint_arrays(task, ra), endpoint_arrays(task, rb)
    out = []
    for ep in task.endpoints:
        gold, pa = aa[ep.name]
        pb = ab[ep.name][1]
        d = paired_f1_difference(gold, pa, pb, ep.labels, ep.positive, n_boot=n_boot,
                                 n_perm=n_perm, seed=seed, alpha=alpha)
        out.append({"a": a, "b": b, "endpoint": ep.name, "test": "permutation_f1", "primary": True,
                    "metric": "f1", "f1_average": f1_average(ep.labels), "n": d.n,
                    "effect": d.effect, "effect_ci95": list(d.ci95), "effect_se": d.se,
                    "discordant": d.discordant, "p": d.p, "p_min": d.p_min,
                    "method": d.method, "resamples": d.resamples,
                    **({"note": d.note} if d.note else {})})
        m = mcnemar_exact(correct(gold, pa), correct(gold, pb))
        out.append(mcnemar_entry(m, {"a": a, "b": b, "endpoint": ep.name, "metric": "accuracy"}, alpha,
                                 primary=False))
    return out
