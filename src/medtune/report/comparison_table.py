"""The comparisons table of a task in the report (Markdown and HTML share it): per comparison
the test, whether it decides (primary, in the family) or is reported beside it, the effect
b - a with its 95% interval, p, adjusted p, the verdict and, when not significant, the minimum
detectable effect (report/verdicts.py)."""

from __future__ import annotations

from medtune.report.recommend import LABELS, format_p, metric_label

TEST_LABELS = {"mcnemar_exact": "McNemar (exact)", "paired_t": "paired t-test",
               "wilcoxon_signed_rank": "Wilcoxon signed-rank (check)",
               "permutation_f1": "permutation test of the F1 difference"}
HEADERS = ["Comparison", "Endpoint", "Test", "Decides", "n", "Effect (b − a)", "95% CI of effect",
           "Discordant (a only / b only)", "p", "Adjusted p", "Verdict", "Detectable (80% power)"]


def _num(x, digits: int = 3) -> str:
    return "–" if x is None else f"{x:+.{digits}f}"


def _verdict(c: dict) -> str:
    if c.get("primary") is False or c.get("secondary"):
        return "reported, does not decide"
    v = c.get("verdict") or ("significant" if c.get("significant") else "n.s.")
    if v == "n.s.":
        v = "n.s. (as good, within margin)" if c.get("as_good") else "n.s. (inconclusive)"
    return v


def comparison_rows(task: dict) -> list[dict]:
    """One row per comparison of the task: {"cells": [...], "significant": bool}."""
    rows = []
    for c in task.get("comparisons", []):
        a, b = LABELS.get(c.get("a"), c.get("a")), LABELS.get(c.get("b"), c.get("b"))
        effect = c.get("effect", c.get("mean_diff"))
        ci = c.get("effect_ci95")
        if task.get("kind", "classification") == "classification":
            label = metric_label(c.get("metric") or task.get("metric"))
            where = f"{c.get('endpoint') or '–'} ({'macro-' if c.get('f1_average') == 'macro' else ''}{label})"
        else:  # an open-ended task's endpoints are its metrics
            where = metric_label(c.get("endpoint") or task.get("metric"))
        rows.append({
            "cells": [f"{b} vs {a}", where,
                      TEST_LABELS.get(c.get("test"), c.get("test", "–")),
                      "no" if c.get("primary") is False or c.get("secondary") else "yes",
                      str(c.get("n", "–")), _num(effect),
                      "–" if not ci or None in ci else f"{_num(ci[0])} to {_num(ci[1])}",
                      f"{c['a_only']} / {c['b_only']}" if "a_only" in c else "–",
                      format_p(c.get("p")), format_p(c.get("p_adjusted")), _verdict(c),
                      "–" if c.get("mde") is None else f"±{c['mde']:.3f}"],
            "significant": bool(c.get("significant")),
        })
    return rows
