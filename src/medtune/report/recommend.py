"""Which variant to deploy for one task, in one sentence a physician can act on.

Reads one `tasks.<task>` entry of results.json (DESIGN.md, Contracts); never re-runs a model.
Also holds the small readers the figure and the tables share: `format_p`, `endpoint_value`,
`find_comparison`.
"""

from __future__ import annotations

import math

LABELS = {"base": "base", "sft": "SFT", "dpo": "DPO"}
METRIC_LABELS = {"f1": "F1", "accuracy": "accuracy", "likert": "Likert",
                 "coverage": "key-fact coverage", "rouge_l": "ROUGE-L"}


def format_p(p: float | None) -> str:
    """A p-value the way the paper prints it: p<.001, p=.003, p=.03, p>.99.

    Three decimals below .01, two otherwise; no leading zero. None or NaN gives "p=n/a".
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p=n/a"
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a p-value must lie in [0, 1], got {p!r}")
    if p < 0.001:
        return "p<.001"
    text = f"{p:.3f}" if p < 0.01 else f"{p:.2f}"
    if text.startswith("1") or p > 0.99:  # .995 rounds to 1.00: still say p>.99
        return "p>.99"
    return "p=" + text[1:]


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


def endpoint_metric(task: dict, endpoint: str | None) -> str:
    """The metric shown for one endpoint: the task's metric for a classification endpoint;
    for an open-ended task each endpoint is a metric of its own (coverage, ROUGE-L)."""
    if endpoint is not None and task.get("kind", "classification") != "classification":
        return endpoint
    return task["metric"]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def endpoint_value(variant: dict, metric: str, endpoint: str | None) -> tuple[float, list | None]:
    """(value, 95% CI or None) of `metric` on one endpoint of one variant.

    Uses per_endpoint[endpoint][metric] and [f"{metric}_ci95"] when present, else
    per_endpoint[endpoint]["value"] / ["ci95"] (open-ended tasks: one endpoint per outcome),
    else the variant's primary `value` / `ci95` (a single-endpoint task need not repeat itself
    per endpoint). The value is None when no example had the outcome.
    """
    per = (variant.get("per_endpoint") or {}).get(endpoint) if endpoint is not None else None
    if per and per.get(metric) is not None:
        return per[metric], per.get(f"{metric}_ci95")
    if per and "value" in per:
        return per["value"], per.get("ci95")
    return variant["value"], variant.get("ci95")


def _is_primary(c: dict) -> bool:
    return not c.get("secondary") and c.get("primary", True)


def find_comparison(task: dict, x: str, y: str, endpoint: str | None) -> dict | None:
    """The primary comparison between variants x and y (either order) on `endpoint`, or None.

    A comparison without an "endpoint" key matches any endpoint of a single-endpoint task.
    Secondary tests (McNemar next to the F1 test, Wilcoxon next to the t-test) are never the
    one returned.
    """
    single = len(task.get("endpoints") or []) <= 1
    for c in task.get("comparisons", []):
        if {c.get("a"), c.get("b")} != {x, y} or not _is_primary(c):
            continue
        ep = c.get("endpoint")
        if ep == endpoint or (ep is None and single):
            return c
    return None


def _endpoints(task: dict) -> list[str | None]:
    """The endpoints that have a primary comparison (an open-ended task's secondary outcomes,
    e.g. ROUGE-L next to key-fact coverage, do not decide)."""
    eps = list(task.get("endpoints") or [None])
    primary = [c.get("endpoint") for c in task.get("comparisons", []) if _is_primary(c)]
    kept = [ep for ep in eps if ep in primary or (None in primary and len(eps) == 1)]
    return kept or eps


def _direction(task: dict, c: dict, lo: str, hi: str, ep: str | None) -> float | None:
    """hi - lo on this endpoint: the comparison's own effect (b - a) when it has one, so the
    direction comes from the statistic that was tested; else the endpoint values."""
    if c.get("effect") is not None:
        return c["effect"] if (c["a"], c["b"]) == (lo, hi) else -c["effect"]
    v_lo = endpoint_value(task["variants"][lo], task["metric"], ep)[0]
    v_hi = endpoint_value(task["variants"][hi], task["metric"], ep)[0]
    return None if v_lo is None or v_hi is None else v_hi - v_lo


def _outcomes(task: dict, lo: str, hi: str) -> list[str]:
    """Per endpoint: "better" / "worse" when the decisive test of `hi` vs `lo` is significant
    and its effect points that way, "same" when not significant (inconclusive), "missing" when
    no comparison was recorded."""
    out = []
    for ep in _endpoints(task):
        c = find_comparison(task, lo, hi, ep)
        if c is None:
            out.append("missing")
            continue
        diff = _direction(task, c, lo, hi, ep)
        if not c.get("significant") or not diff:
            out.append("same")
        else:
            out.append("better" if diff > 0 else "worse")
    return out


def beats(task: dict, lo: str, hi: str) -> bool:
    """True when variant `hi` is significantly better than `lo`: at least one endpoint
    significantly better (after correction) and none significantly worse."""
    if lo not in task["variants"] or hi not in task["variants"]:
        return False
    outcomes = _outcomes(task, lo, hi)
    return "better" in outcomes and "worse" not in outcomes


def _worse(task: dict, lo: str, hi: str) -> bool:
    """True when `hi` is significantly worse than `lo` on some endpoint."""
    if lo not in task["variants"] or hi not in task["variants"]:
        return False
    return "worse" in _outcomes(task, lo, hi)


def _signed(x: float) -> str:
    return f"{x:+.2f}".replace("-", "−")


def _verdict_text(c: dict, diff: float | None) -> str:
    """'significantly better (adjusted p<.001)', 'n.s. (adjusted p=.39; inconclusive: ...)'.

    `diff` is hi - lo: a significant test says which way, so a reader never takes "significant"
    for "better" when the fine-tuned model was worse."""
    p = format_p(c.get("p_adjusted"))
    if c.get("p_adjusted") is None and c.get("p") is None:
        return c.get("verdict") or c.get("note") or "too few items to test"
    if c.get("significant"):
        way = "" if not diff else (" better" if diff > 0 else " worse")
        return f"significant{'ly' if way else ''}{way} (adjusted {p})"
    text = f"n.s. (adjusted {p}"
    if c.get("as_good"):
        text += "; as good as within the non-inferiority margin"
    else:
        text += "; inconclusive"
        if c.get("mde") is not None:
            text += f", the test could detect a difference of {c['mde']:.2f} or more"
    return text + ")"


def _evidence(task: dict, lo: str, hi: str) -> str:
    """'F1 0.98 vs 0.63 (+0.35, 95% CI +0.2 to +0.4), significant (adjusted p<.001)' for hi
    vs lo; one clause per endpoint, each with its own verdict."""
    if lo not in task["variants"] or hi not in task["variants"]:
        return ""
    multi = len(_endpoints(task)) > 1
    parts = []
    for ep in _endpoints(task):
        v_lo = endpoint_value(task["variants"][lo], task["metric"], ep)[0]
        v_hi = endpoint_value(task["variants"][hi], task["metric"], ep)[0]
        c = find_comparison(task, lo, hi, ep)
        name = metric_label(endpoint_metric(task, ep))
        if c is not None and c.get("f1_average") == "macro":
            name = "macro-" + name
        if multi and task.get("kind", "classification") == "classification":
            name = f"{ep} {name}"
        if c is None:
            parts.append(f"{name} {_fmt(v_hi)} vs {_fmt(v_lo)}, no test recorded")
            continue
        diff = _direction(task, c, lo, hi, ep)
        detail = ""
        ci = c.get("effect_ci95")
        if diff is not None and c.get("effect") is not None:
            detail = f" (difference {_signed(diff)}"
            if ci and None not in ci:
                lo_ci, hi_ci = (ci[0], ci[1]) if (c["a"], c["b"]) == (lo, hi) else (-ci[1], -ci[0])
                detail += f", 95% CI {_signed(lo_ci)} to {_signed(hi_ci)}"
            detail += ")"
        parts.append(f"{name} {_fmt(v_hi)} vs {_fmt(v_lo)}{detail}, {_verdict_text(c, diff)}")
    return "; ".join(parts)


def recommend(
    task_result: dict, alpha_note: str = "", dpo_to_sft: float | None = None
) -> tuple[str, str]:
    """(deploy, sentence): which variant to deploy for one task, and why, on one line.

    "X beats Y" means: on at least one endpoint the decisive (primary) comparison X vs Y is
    significant after the family correction (`significant`) AND its effect (the tested
    difference itself) favours X, and on no endpoint is X significantly worse. Single-endpoint tasks are
    the one-endpoint case of the same rule. The rule, in order:

    1. DPO, if DPO beats SFT and DPO is not significantly worse than base on any endpoint.
    2. SFT, if SFT beats base.
    3. SFT, if DPO beats base but not SFT (and SFT is not significantly worse than base):
       the two are indistinguishable on this test set and SFT is cheaper to train.
    4. base otherwise: fine-tuning did not help significantly on this test set (the sentence
       says when a fine-tuned variant was significantly worse instead of inconclusive).
    (Without an SFT variant, DPO is deployed when it beats base.)

    A missing variant (e.g. a study without DPO) or a missing comparison never counts as
    "beats". The sentence names, per endpoint, the metric values, the difference with its
    interval and its own verdict (significant / n.s. with the minimum detectable effect / too
    few items to test). `dpo_to_sft` (DPO compute
    seconds / SFT compute seconds) is mentioned whenever DPO was run. `alpha_note` (e.g.
    "p adjusted by Holm over 12 comparisons, alpha .05") is appended after a semicolon.
    """
    variants = task_result["variants"]
    has_sft, has_dpo = "sft" in variants, "dpo" in variants

    def ev(lo: str, hi: str) -> str:
        return _evidence(task_result, lo, hi)

    cost = ""
    if has_dpo and dpo_to_sft is not None and math.isfinite(dpo_to_sft):
        cost = f"DPO cost {dpo_to_sft:.1f}x the compute of SFT"

    def join(*parts: str) -> str:
        return "; ".join(p for p in (*parts, alpha_note) if p) + "."

    if has_sft and has_dpo and beats(task_result, "sft", "dpo") and not _worse(task_result, "base", "dpo"):
        return "dpo", join(
            f"Deploy DPO: it beat SFT significantly ({ev('sft', 'dpo')})",
            f"compared with base ({ev('base', 'dpo')})",
            cost,
        )
    if has_sft and beats(task_result, "base", "sft"):
        return "sft", join(
            f"Deploy SFT: it beat base significantly ({ev('base', 'sft')})",
            f"DPO did not beat SFT ({ev('sft', 'dpo')})" if has_dpo else "",
            cost,
        )
    if has_sft and has_dpo and beats(task_result, "base", "dpo") and not _worse(task_result, "base", "sft"):
        return "sft", join(
            f"Deploy SFT: DPO beat base ({ev('base', 'dpo')}) but not SFT ({ev('sft', 'dpo')});"
            " DPO vs SFT is inconclusive on this test set and SFT is cheaper to train",
            f"SFT vs base ({ev('base', 'sft')})",
            cost,
        )
    if not has_sft and has_dpo and beats(task_result, "base", "dpo"):
        return "dpo", join(
            f"Deploy DPO: it beat base significantly ({ev('base', 'dpo')}); no SFT variant was run"
        )
    if not has_sft and not has_dpo:
        return "base", join("Deploy base: no fine-tuned variant was evaluated")
    tuned = [v for v in ("sft", "dpo") if v in variants]
    evidence = "; ".join(f"{LABELS[v]} vs base: {ev('base', v)}" for v in tuned)
    seen = {o for v in tuned for o in _outcomes(task_result, "base", v)}
    if "worse" in seen and "better" in seen:
        why = ("Deploy base: fine-tuning was significantly better on one endpoint and significantly"
               " worse on another, so no fine-tuned variant beat base")
    elif "worse" in seen:
        why = "Deploy base: fine-tuning made the model significantly worse on this test set"
    else:
        why = ("Deploy base: fine-tuning did not help significantly on this test set (inconclusive, not"
               " evidence of no effect); keep the base model or test on more examples (medtune study"
               " plan gives how many)")
    return "base", join(f"{why} ({evidence})", cost)
