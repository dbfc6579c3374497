"""The comparison figure: the paper's Figure 2, one panel per (task, endpoint).

Horizontal bars for base (grey), SFT (blue) and DPO (red) with 95% CI error bars; to the right
of the bars, the adjusted p-values of SFT vs base, DPO vs SFT and DPO vs base, bold with an
asterisk when significant after correction. Output is SVG text, byte-identical for the same
input (fixed hash salt, no date or creator metadata, matplotlib's default style).
"""

from __future__ import annotations

import io
import string
from contextlib import contextmanager

from medtune.report.recommend import (
    LABELS,
    endpoint_metric,
    endpoint_value,
    find_comparison,
    format_p,
    metric_label,
)
from medtune.variants import VARIANTS

COLORS = {"base": "#8c8c8c", "sft": "#1f5fbf", "dpo": "#c62828"}
# Which p-values sit next to which bar: (row variant, compared against).
P_LABELS = {"sft": ["base"], "dpo": ["sft", "base"]}
PANEL_WIDTH_IN, PANEL_HEIGHT_IN = 5.4, 2.0
RC = {
    "svg.hashsalt": "medtune",
    "svg.fonttype": "none",  # text stays text: selectable, searchable, small
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _mpl_text(s: str) -> str:
    """Literal text for matplotlib: a '$' in a task name must not start mathtext."""
    return str(s).replace("$", r"\$")


def _panel_letter(i: int) -> str:
    return string.ascii_uppercase[i] if i < 26 else str(i + 1)


def _panels(results: dict) -> list[tuple[str, str | None]]:
    panels = []
    for name, task in results.get("tasks", {}).items():
        if not task.get("variants"):  # an open-ended task nobody has graded yet
            continue
        for ep in task.get("endpoints") or [None]:
            panels.append((name, ep))
    return panels


def _title(i: int, name: str, task: dict, endpoint: str | None) -> str:
    metric = metric_label(endpoint_metric(task, endpoint))
    if task.get("graded_by"):  # an open-ended task scored by its graders
        metric += ", " + ("LLM judges" if task["graded_by"].startswith("judges:") else "physicians")
    if task.get("kind", "classification") != "classification":
        return f"{_panel_letter(i)}. {_mpl_text(name)} ({metric})"
    if endpoint is None or len(task.get("endpoints") or []) <= 1:
        return f"{_panel_letter(i)}. {_mpl_text(name)} ({metric})"
    return f"{_panel_letter(i)}. {_mpl_text(name)}: {_mpl_text(endpoint)} ({metric})"


def _draw_panel(ax, task: dict, endpoint: str | None, title: str) -> None:
    present = [v for v in VARIANTS if v in task.get("variants", {})]
    metric = task["metric"]
    values, errors, upper = [], [[], []], 1.0
    for v in present:
        value, ci = endpoint_value(task["variants"][v], metric, endpoint)
        value = 0.0 if value is None else value  # no example had the outcome: an empty bar
        values.append(value)
        lo, hi = (ci if ci else (value, value))
        errors[0].append(max(value - lo, 0.0))
        errors[1].append(max(hi - value, 0.0))
        upper = max(upper, hi, value)
    ys = list(range(len(present)))
    ax.barh(ys, values, height=0.62, color=[COLORS[v] for v in present],
            xerr=errors, error_kw={"ecolor": "black", "capsize": 3, "elinewidth": 1})
    ax.set_yticks(ys, [f"{LABELS[v]}  {val:.2f}" for v, val in zip(present, values)])
    ax.invert_yaxis()  # base on top, as in the paper
    ax.set_ylim(len(present) - 0.5, -0.5)
    shown = endpoint_metric(task, endpoint)
    top = 5.0 if shown == "likert" else 1.0  # the whole scale, as the paper drew it
    ax.set_xlim(0, top if upper <= top else upper * 1.05)
    ax.set_xlabel(metric_label(shown))
    ax.set_title(title, loc="left", fontweight="bold", fontsize=10)

    for y, v in zip(ys, present):
        against = [o for o in P_LABELS.get(v, []) if o in task["variants"]]
        for k, other in enumerate(against):
            c = find_comparison(task, other, v, endpoint)
            if c is None:
                continue
            sig = bool(c.get("significant"))
            text = f"vs {LABELS[other]}: {format_p(c.get('p_adjusted'))}" + ("*" if sig else "")
            offset = 0.0 if len(against) == 1 else (k - 0.5) * 0.44
            ax.annotate(text, xy=(1.03, y + offset), xycoords=("axes fraction", "data"),
                        va="center", ha="left", fontsize=8,
                        fontweight="bold" if sig else "normal", annotation_clip=False)


def _draw(results: dict):
    """The matplotlib Figure (no pyplot state). Call inside `_style()`."""
    from matplotlib.figure import Figure

    panels = _panels(results)
    ncols = 1 if len(panels) <= 1 else 2
    nrows = max(1, -(-len(panels) // ncols))
    fig = Figure(figsize=(PANEL_WIDTH_IN * ncols, PANEL_HEIGHT_IN * nrows),
                 layout="constrained")
    if not panels:
        fig.text(0.5, 0.5, "No tasks in this study.", ha="center", va="center")
        return fig
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, (name, ep) in enumerate(panels):
        task = results["tasks"][name]
        _draw_panel(axes[i], task, ep, _title(i, name, task, ep))
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.text(1.0, 0.0, "adjusted p-values; * significant after correction",
             ha="right", va="bottom", fontsize=7, color="#555555")
    return fig


@contextmanager
def _style():
    """Agg backend, matplotlib's default style (not the user's matplotlibrc), our rcParams."""
    import matplotlib
    import matplotlib.style

    matplotlib.use("Agg")
    with matplotlib.style.context("default"), matplotlib.rc_context(RC):
        yield


def comparison_figure(results: dict) -> str:
    """SVG text of the comparison figure for a results dict (results.json contract).

    Deterministic: the same results give byte-identical SVG.
    """
    with _style():
        fig = _draw(results)
        buf = io.StringIO()
        fig.savefig(buf, format="svg",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buf.getvalue()
