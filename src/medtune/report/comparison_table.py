"""The comparisons table of a task in the report (Markdown and HTML share it): per comparison
the test, whether it decides (primary, in the family) or is reported beside it, the effect
b - a with its 95% interval, p, adjusted p, the verdict and, when not significant, the minimum
detectable effect (report/verdicts.py)."""

from __future__ import annotations

from medtune.report.model import Comparison
from medtune.report.recommend import LABELS, format_p, metric_label

TEST_LABELS = {"mcnemar_exact": "McNemar (exact)", "paired_t": "paired t-test",
               "wilcoxon_signed_rank": "Wilcoxon signed-rank (check)",
               "permutation_f1": "permutation test of the F1 difference"}
HEADERS = ["Comparison", "Endpoint", "Test", "Decides", "n", "Effect (b − a)", "95% CI of effect",
           "Discordant (a only / b only)", "p", "Adjusted p", "Verdict", "Detectable (80% power)"]


def _num(x, digits: int = 3) -> str:
    return "–" if x is None else f"{x:+.{digits}f}"


def _verdict(c: Comparison) -> str:
    if not c.decides:
        return "reported, does not decide"
    v = c.verdict or ("significant" if c.significant else "n.s.")
    if v == "n.s.":
        v = "n.s. (as good, within margin)" if c.as_good else "n.s. (inconclusive)"
    return v


def comparison_rows(comparisons: list[Comparison], kind: str | None, metric: str | None) -> list[dict]:
    """One row per comparison of a task (or graded section) of this kind and headline metric:
    {"cells": [...], "significant": bool}."""
    rows = []
    for c in comparisons:
        a, b = LABELS.get(c.a, c.a), LABELS.get(c.b, c.b)
        ci = c.effect_ci95
        if (kind or "classification") == "classification":
            label = metric_label(c.metric or metric)
            where = f"{c.endpoint or '–'} ({'macro-' if c.f1_average == 'macro' else ''}{label})"
        else:  # an open-ended task's endpoints are its metrics
            where = metric_label(c.endpoint or metric)
        rows.append({
            "cells": [f"{b} vs {a}", where, TEST_LABELS.get(c.test, c.test),
                      "yes" if c.decides else "no",
                      "–" if c.n is None else str(c.n), _num(c.shown_effect),
                      "–" if not ci or None in ci else f"{_num(ci[0])} to {_num(ci[1])}",
                      "–" if c.a_only is None else f"{c.a_only} / {c.b_only}",
                      format_p(c.p), format_p(c.p_adjusted), _verdict(c),
                      "–" if c.mde is None else f"±{c.mde:.3f}"],
            "significant": c.significant,
        })
    return rows
