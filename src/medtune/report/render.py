"""Write a study's report: results.json, report.md and a self-contained index.html.

Input is the results the study runner computed, checked against the typed results model
(report/model.py: results.json, schema 1); the report never runs a model. One view model
(formatted strings in tables) feeds both the Markdown and the HTML, so the two always say the
same thing. index.html loads nothing from the network: CSS is inline and the figure is inline
SVG. The figure, the sweep view and the recommendation share their code with the builders and
read the plain document (``to_dict``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from medtune.files import private_mkdir, write_atomic
from medtune.report.comparison_table import HEADERS as COMPARISON_HEADERS
from medtune.report.comparison_table import comparison_rows
from medtune.report.figures import comparison_figure
from medtune.report.model import (Automatic, Compute, EndpointSummary, GradedSection, Node, Results, Task,
                                  Variant, dump_results, parse_results, to_dict)
from medtune.report.recommend import LABELS, endpoint_value, format_p, metric_label, recommend
from medtune.report.verdicts import family_note
from medtune.report.sweep_results import sweep_figure, sweep_headers, sweep_rows
from medtune.variants import VARIANTS

__all__ = ["format_p", "write_report"]

TEMPLATES = Path(__file__).parent / "templates"
FIGURE_NAME = "figure.svg"


def write_report(results: dict | Results, out_dir: Path) -> Path:
    """Write results.json, report.md, index.html (and figure.svg) into out_dir; return the
    path of index.html.

    results.json is `results` verbatim (pretty-printed, through the results model: the same
    keys in the same order), except that a task without "recommendation" / "deploy" gets them
    from `recommend()`. A dict that does not fit the model raises ResultsError (a ValueError)
    naming every key at fault. The caller's dict or model is not changed. Each file is written
    to a temp file and moved into place, so a reader never sees half a file.
    """
    results = parse_results(to_dict(results) if isinstance(results, Node) else results, "results dict")
    _fill_recommendations(results)

    data = to_dict(results)  # the figure reads the plain document
    svg = comparison_figure(data)
    sweeps = {name: sweep_figure(name, to_dict(t.sweep)) for name, t in results.tasks.items() if _has_sweep(t)}
    view = _view(results)
    files = {
        "results.json": dump_results(results),
        FIGURE_NAME: svg,
        **{_sweep_file(name): text for name, text in sweeps.items()},
        "report.md": _markdown(view),
        "index.html": _html(view, _inline_svg(svg), {n: _inline_svg(t) for n, t in sweeps.items()}),
    }
    out_dir = private_mkdir(out_dir)
    # Reports quote model outputs, so patient text: owner-only. To share a report, chmod its
    # files once (e.g. chmod 644 report/*); a later render keeps each replaced file's mode.
    for name, text in files.items():
        write_atomic(out_dir / name, text)
    return out_dir / "index.html"


def _has_sweep(task: Task) -> bool:
    return task.sweep is not None and bool(task.sweep.methods())


def _sweep_file(task: str) -> str:
    return f"sweep-{re.sub(r'[^A-Za-z0-9_.-]', '_', task)}.svg"


def _variant_order(variants: dict[str, Variant]) -> list[str]:
    """base, SFT, DPO, then the study's served baselines (study/baselines.py)."""
    return [v for v in VARIANTS if v in variants] + [v for v in variants if v not in VARIANTS]


def _dpo_to_sft(compute: Compute, task: str) -> float | None:
    per = compute.per_task.get(task) or {}
    if per.get("dpo_to_sft") is not None:
        return per["dpo_to_sft"]
    if per.get("sft") and per.get("dpo") is not None:
        return per["dpo"] / per["sft"]
    return compute.dpo_to_sft


def _alpha_note(results: Results) -> str:
    if results.family:  # report/verdicts.py: the family, m, the threshold, the rule
        return family_note(to_dict(results))
    alpha = f"alpha {_p_number(0.05 if results.alpha is None else results.alpha)}"
    correction = str(results.correction or "").capitalize()
    if not correction:
        return f"p not adjusted for multiple comparisons, {alpha}"
    n = results.n_comparisons
    over = f" over {n} comparisons" if n else ""
    return f"p adjusted by {correction}{over}, {alpha}"


def _fill_recommendations(results: Results) -> None:
    note = _alpha_note(results)
    for name, task in results.tasks.items():
        if task.recommendation and task.deploy:
            continue
        deploy, sentence = recommend(to_dict(task), alpha_note=note, dpo_to_sft=_dpo_to_sft(results.compute, name))
        if "deploy" not in task.model_fields_set:
            task.deploy = deploy
        if not task.recommendation:
            task.recommendation = sentence


# --- formatting ----------------------------------------------------------------------------

def _p_number(x: float) -> str:
    return f"{x:g}".removeprefix("0")


def _num(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def _ci(ci) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "–"
    return f"{_num(ci[0])}–{_num(ci[1])}"


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _seconds(s) -> str:
    if s is None:
        return "–"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


# --- view model ----------------------------------------------------------------------------

def _served_text(task: Task) -> str:
    from medtune.report.baselines import describe

    return describe({name: to_dict(b) for name, b in task.baselines.items()})


def _rejected_text(task: Task) -> str:
    """'wrong_option' or 'on_policy: train 40 generated, 8 fallback (wrong_option), 0 dropped'."""
    r = task.rejected
    if r is None:
        return ""
    text = r.strategy + (f" ({r.model})" if r.model else "")
    for split, counts in r.generated_answers.items():
        text += (f"; {split}: {counts.get('generated', 0)} generated, {counts.get('fallback', 0)} "
                 f"by {r.fallback_strategy} (the model's answer was right or blank), "
                 f"{counts.get('dropped', 0)} dropped")
    return text


def _open_task_view(task: Task | Automatic) -> dict:
    """Variant and comparison tables of an open-ended task: one metric per endpoint."""
    headers = ["Variant"]
    for ep in task.endpoints:
        headers += [metric_label(ep), "95% CI"]
    rows = []
    for v in _variant_order(task.variants):
        r = task.variants[v]
        row = [LABELS.get(v, v)]
        for ep in task.endpoints:
            value, ci = endpoint_value(to_dict(r), task.metric, ep)
            row += [_num(value), _ci(ci)]
        rows.append(row + [_num(r.mean_answer_words, 1), _pct(r.empty_answer_rate)])
    return {
        "variant_headers": headers + ["Answer words (mean)", "Empty answers"],
        "variant_rows": rows, "endpoint_rows": [],
        "comparison_headers": COMPARISON_HEADERS,
        # the automatic section has no kind of its own: its rows read as a classification's, as before
        "comparisons": comparison_rows(task.comparisons, task.kind if isinstance(task, Task) else None, task.metric),
    }


def _task_view(name: str, task: Task) -> dict:
    metric = metric_label(task.metric)
    endpoints = task.endpoints
    variants = [(v, task.variants[v]) for v in _variant_order(task.variants)]
    primary = f"{metric} (mean over endpoints)" if len(endpoints) > 1 else metric
    rows = [[LABELS.get(v, v), _num(r.value), _ci(r.ci95), _num(r.accuracy), _num(r.sensitivity),
             _num(r.specificity), _pct(r.parse_failure_rate)] for v, r in variants]
    endpoint_rows = []
    if len(endpoints) > 1:
        for v, r in variants:
            for ep in endpoints:
                e = r.per_endpoint.get(ep) or EndpointSummary()
                endpoint_rows.append([LABELS.get(v, v), ep, _num(e.f1), _ci(e.f1_ci95), _num(e.accuracy),
                                      _ci(e.accuracy_ci95), _num(e.sensitivity), _num(e.specificity)])
    graded = {k: _graded_view(g) for k, g in task.graded.items()}
    headline = graded.pop(task.graded_by, None)  # an open-ended task's headline source
    if headline is not None:
        primary += f", graded by {headline['title']}"
    sweeps = task.sweep.methods() if task.sweep else {}
    view = {
        "name": name,
        "kind": task.kind or "",
        "metric": primary,
        "n_test": task.n_test,
        "endpoints": ", ".join(endpoints) or "–",
        "rejected": _rejected_text(task),
        "served": _served_text(task),
        "deploy": LABELS.get(task.deploy, task.deploy or "–"),
        "recommendation": task.recommendation,
        "variant_headers": ["Variant", primary, "95% CI", "Accuracy", "Sensitivity",
                            "Specificity", "Parse failures"],
        "variant_rows": rows,
        "endpoint_headers": ["Variant", "Endpoint", "F1", "F1 95% CI", "Accuracy",
                             "Accuracy 95% CI", "Sensitivity", "Specificity"],
        "endpoint_rows": endpoint_rows,
        "comparison_headers": COMPARISON_HEADERS,
        "comparisons": comparison_rows(task.comparisons, task.kind, task.metric),
        "agreement_headers": [],
        "agreement_rows": [],
        "graded": list(graded.values()),
        "graded_headline": headline is not None,
        "text_columns": 3,
        "sweep_file": _sweep_file(name) if _has_sweep(task) else None,
        "sweeps": [{"method": LABELS[m], "winner": sw.winner, "rows": sweep_rows(to_dict(task.sweep), m)}
                   for m, sw in sweeps.items()],
        "sweep_headers": sweep_headers(next((sw.metric or "f1" for sw in sweeps.values()), "f1")),
    }
    if headline is not None:  # its tables are the task's: scores, both paired tests, agreement
        view.update({k: v for k, v in headline.items() if k not in ("title", "heading")})
        view["endpoints"] = "–"
        if task.automatic:  # the automatic outcomes it also has, below the graders'
            view["graded"].insert(0, {**_open_task_view(task.automatic), "agreement_rows": [],
                                      "text_columns": 3, "heading": "Automatic outcomes (no grader)"})
    elif (task.kind or "classification") != "classification":
        view.update(_open_task_view(task))
        view["endpoints"] = ", ".join(metric_label(e) for e in endpoints) or "–"
    return view


def _source_title(g: GradedSection) -> str:
    if g.source == "judges":
        return f"LLM judges {', '.join(g.judges)} ({g.rubric}, jury {g.aggregate or ''})"
    return f"physicians ({g.rubric}, two graders per item, adjudicated)"


def _graded_view(g: GradedSection) -> dict:
    """One grading source of a task: per-variant scores, paired tests, agreement."""
    likert = g.kind == "likert"
    rows = [[LABELS.get(v, v), _num(r.value), _ci(r.ci95), _text(r.n), _text(r.n_missing)]
            for v, r in ((v, g.variants[v]) for v in _variant_order(g.variants))]
    kappa = "Cohen's kappa (quadratic weights)" if likert else "Cohen's kappa"
    unparseable = ", ".join(f"{j} {_pct(r)}" for j, r in g.unparseable.items())
    return {
        "title": _source_title(g),
        "heading": "Graded by " + _source_title(g) + (f" (unparseable replies: {unparseable})" if unparseable else ""),
        "variant_headers": ["Variant", "Mean Likert (1-5)" if likert else "Proportion correct",
                            "95% CI", "n graded", "No verdict"],
        "variant_rows": rows,
        "comparison_headers": COMPARISON_HEADERS,
        "comparisons": comparison_rows(g.comparisons, "graded", g.metric),
        "agreement_headers": ["Raters", "n", "Percent agreement", kappa],
        "agreement_rows": [[a.raters, str(a.n), _pct(a.percent), _num(a.kappa)] for a in g.agreement],
        "text_columns": 2,
    }


def _text(x) -> str:
    return "–" if x is None else str(x)


def _compute_view(compute: Compute) -> dict:
    rows = [[m.upper() if m in ("sft", "dpo") else m.capitalize(), _num(s, 1), _seconds(s)]
            for m, s in compute.seconds.items()]
    per_task = []
    for name, t in compute.per_task.items():
        ratio = t["dpo"] / t["sft"] if t.get("sft") and t.get("dpo") is not None else None
        per_task.append([name, _num(t.get("sft"), 1), _num(t.get("dpo"), 1),
                         "–" if ratio is None else f"{ratio:.1f}x"])
    ratio, per_step = compute.dpo_to_sft, compute.dpo_to_sft_per_step
    per_method = [[m.upper(), str(c.runs), str(c.steps), str(c.tokens), _num(c.seconds, 1),
                   _num(c.hours, 3), _num(c.seconds_per_step, 2), ", ".join(c.devices)]
                  for m, c in compute.per_method.items() if m in ("sft", "dpo")]
    return {
        "per_method_headers": ["Method", "Runs", "Optimizer steps", "Tokens", "Seconds", "Hours",
                               "Seconds per step", "Device"],
        "per_method_rows": per_method,
        "headers": ["Method", "Seconds", "Time"],
        "rows": rows,
        "ratio": "–" if ratio is None else f"{ratio:.1f}x",
        "dtype": compute.dtype or "–",
        "ratio_per_step": "–" if per_step is None else f"{per_step:.2f}x",
        "per_task_headers": ["Task", "SFT seconds", "DPO seconds", "DPO/SFT"],
        "per_task_rows": per_task,
    }


def _view(results: Results) -> dict:
    study = results.study
    return {
        "title": f"medtune report: {study.name or 'study'}",
        "study": [
            ("Study", _text(study.name)),
            ("Model", _text(study.model)),
            ("Seed", _text(study.seed)),
            ("Created", _text(study.created)),
            ("medtune version", _text(study.medtune_version)),
            ("Statistics", _alpha_note(results)),
        ],
        "hashes": list(study.data_hashes.items()),
        "tasks": [_task_view(n, t) for n, t in results.tasks.items()],
        "compute": _compute_view(results.compute),
    }


# --- Markdown ------------------------------------------------------------------------------

def _md_cell(text) -> str:
    """Data in Markdown: no pipes, one line, and no raw HTML (a '<' that could open a tag is
    escaped; 'p<.001' stays readable)."""
    s = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", s)


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _md_agreement(v: dict) -> list[str]:
    if not v["agreement_rows"]:
        return []
    return ["Agreement between raters:", "", _md_table(v["agreement_headers"], v["agreement_rows"]), ""]


def _markdown(view: dict) -> str:
    out = [f"# {_md_cell(view['title'])}", ""]
    out += [f"- **{k}:** {_md_cell(v)}" for k, v in view["study"]]
    if view["hashes"]:
        out.append("- **Data (sha256):** " + ", ".join(
            f"{_md_cell(t)} `{h[:12]}`" for t, h in view["hashes"]))
    out += ["", f"![Comparison of base, SFT and DPO]({FIGURE_NAME})", ""]
    for t in view["tasks"]:
        out += [f"## Task: {_md_cell(t['name'])}", "",
                f"Primary metric: {t['metric']}; n_test = {t['n_test']}; "
                f"endpoints: {_md_cell(t['endpoints'])}.", ""]
        if t["rejected"]:
            out += [f"DPO rejected answers: {_md_cell(t['rejected'])}.", ""]
        if t.get("served"):
            out += [f"Served baselines: {_md_cell(t['served'])}.", ""]
        out += [f"**Recommendation:** {_md_cell(t['recommendation'])} "
                f"(deploy: {_md_cell(t['deploy'])})", "",
                _md_table(t["variant_headers"], t["variant_rows"]), ""]
        if t["endpoint_rows"]:
            out += ["Per endpoint:", "", _md_table(t["endpoint_headers"], t["endpoint_rows"]), ""]
        out += ["Comparisons (paired; only rows marked Decides enter the family and the verdict):", "",
                _md_table(t["comparison_headers"], [c["cells"] for c in t["comparisons"]]), ""]
        out += _md_agreement(t)
        for g in t["graded"]:
            out += [f"### {_md_cell(g['heading'])}", "",
                    _md_table(g["variant_headers"], g["variant_rows"]), "",
                    _md_table(g["comparison_headers"], [c["cells"] for c in g["comparisons"]]), ""]
            out += _md_agreement(g)
        if t["sweep_file"]:
            out += ["Sweep (eval loss per config, plateau marked; the winner is chosen on dev):", "",
                    f"![Sweep of {_md_cell(t['name'])}]({t['sweep_file']})", ""]
        for sw in t["sweeps"]:
            out += [f"{sw['method']} sweep (winner: {_md_cell(sw['winner'])}):", "",
                    _md_table(t["sweep_headers"], sw["rows"]), ""]
    c = view["compute"]
    out += ["## Compute", "", _md_table(c["headers"], c["rows"]), "",
            f"DPO/SFT compute ratio: {c['ratio']} in total, {c['ratio_per_step']} per optimizer step", "",
            f"Computed in: {c['dtype']} (training.dtype)", ""]
    if c["per_task_rows"]:
        out += [_md_table(c["per_task_headers"], c["per_task_rows"]), ""]
    if c["per_method_rows"]:
        out += ["Per method (every run of the sweeps, retrains included):", "",
                _md_table(c["per_method_headers"], c["per_method_rows"]), ""]
    return "\n".join(out)


# --- HTML ----------------------------------------------------------------------------------

def _inline_svg(svg: str) -> str:
    """matplotlib's SVG made fit for inlining in HTML5: no XML prolog or DOCTYPE, no namespace
    URLs (the HTML parser puts <svg> in the SVG namespace itself), scalable width."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    return svg


def _html(view: dict, svg: str, sweeps: dict[str, str] | None = None) -> str:
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # task names, study names and sentences are data
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template("index.html.j2").render(
        view=view, figure=Markup(svg), sweeps={k: Markup(v) for k, v in (sweeps or {}).items()})
