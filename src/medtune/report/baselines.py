"""What the report says about served baselines (study/baselines.py runs them): how each one's
replies came back, and a clause per baseline against the variant to deploy."""

from __future__ import annotations

from typing import Any

from medtune.report.recommend import LABELS, endpoint_value, find_comparison, format_p, metric_label


def baseline_summaries(store: Any, study: Any, task: str) -> dict[str, Any]:
    """{name: how its replies came back} as recorded by ``evaluate_baseline``."""
    return {b.name: store.meta(f"baseline/{task}/{b.name}") for b in study.baselines
            if store.meta(f"baseline/{task}/{b.name}") is not None}


def describe(summaries: dict[str, Any]) -> str:
    """One clause per baseline for the report: its model, shots, how its replies came back."""
    parts = []
    for name, s in summaries.items():
        how = (f"{s['structured_replies']} of {s['n']} replies under structured output" if s.get("structured_requested")
               else "plain-text replies")
        bad = "" if s.get("unparseable_rate") is None else f", {s['unparseable_rate']:.1%} unparseable"
        parts.append(f"{name} = served model {s['model']}, {s['shots']}-shot, {how}{bad}")
    return "; ".join(parts)


def versus_baselines(task_result: dict[str, Any]) -> str:
    """A clause per served baseline against the variant to deploy, for the recommendation:
    its metric beside the deployed one's and the adjusted p of their paired test, per endpoint."""
    deploy, variants = task_result.get("deploy"), task_result["variants"]
    if deploy not in variants:
        return ""
    parts = []
    for name in task_result.get("baselines", {}):
        if name not in variants:
            continue
        for ep in task_result.get("endpoints") or [None]:
            c = find_comparison(task_result, deploy, name, ep)
            mine = endpoint_value(variants[deploy], task_result["metric"], ep)[0]
            theirs = endpoint_value(variants[name], task_result["metric"], ep)[0]
            if c is None or mine is None or theirs is None:
                continue
            verdict = ("n.s. (inconclusive)" if not c.get("significant") or mine == theirs
                       else f"{LABELS[deploy]} {'better' if mine > theirs else 'worse'}")
            label = metric_label(task_result["metric"]) + (f" ({ep})" if len(task_result.get("endpoints") or []) > 1 else "")
            parts.append(f"{name} vs {LABELS[deploy]}: {label} {theirs:.2f} vs {mine:.2f}, adjusted "
                         f"{format_p(c.get('p_adjusted'))}, {verdict}")
    return f" Against served baselines: {'; '.join(parts)}." if parts else ""
