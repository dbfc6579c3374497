"""Rich progress bars and the closing summary table, around the library's study runner."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def run_with_progress(study, out: Path, study_file: Path | None) -> None:
    from medtune.study.context import Progress as Hooks
    from medtune.runner import run_study

    console = Console()
    console.print(f"study [bold]{study.name}[/]: {len(study.tasks)} task(s), model {study.model}, out {out}")
    if not console.is_terminal:  # a log file: plain, flushed lines (cli/lines.py)
        from medtune.cli.lines import LineProgress

        lines = LineProgress()
        outcome = run_study(study, out, study_file, Hooks(stage=lines.stage, advance=lines.advance, log=lines.log))
        lines.finish()
    else:
        outcome = _run_with_bars(console, study, out, study_file)
    _print_summary(console, outcome)


def _run_with_bars(console: Console, study, out: Path, study_file: Path | None):
    from medtune.study.context import Progress as Hooks
    from medtune.runner import run_study

    bars = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    current = {"id": None}

    def stage(name: str, total: int) -> None:
        if current["id"] is not None:
            bars.update(current["id"], completed=bars.tasks[current["id"]].total)
        current["id"] = bars.add_task(name, total=total)

    hooks = Hooks(
        stage=stage,
        advance=lambda n: bars.advance(current["id"], n),
        log=lambda msg: console.log(msg, markup=False, highlight=False),
    )
    with bars:
        return run_study(study, out, study_file, hooks)


def _print_summary(console: Console, outcome) -> None:
    from medtune.report.recommend import metric_label
    from medtune.report.render import format_p
    from medtune.report.model import parse_results
    from medtune.runner import results_summary

    results = parse_results(outcome.results, "the study's results")

    table = Table(title="Test set: primary metric per task (graders' score where an open-ended task has one); "
                        "adjusted p-values")
    for col in ("task", "metric", "base", "SFT", "DPO", "SFT vs base", "DPO vs SFT", "DPO vs base", "deploy"):
        table.add_column(col)
    for row in results_summary(results):
        def p(a, b):
            return ", ".join(f"{ep}: {format_p(v)}" if len(row["p"]) > 3 else format_p(v)
                             for (x, y, ep), v in row["p"].items() if (x, y) == (a, b)) or "-"
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        table.add_row(row["task"], metric_label(row["metric"]), fmt(row["base"]), fmt(row["sft"]), fmt(row["dpo"]),
                      p("base", "sft"), p("sft", "dpo"), p("base", "dpo"), row["deploy"] or "-")
    console.print(table)
    c = results.compute
    ratio = c.dpo_to_sft
    console.print(f"compute: SFT {c.seconds.get('sft', 0):.0f} s, DPO {c.seconds.get('dpo', 0):.0f} s"
                  + (f" (DPO/SFT {ratio:.2f}x in total" if ratio else "")
                  + (f", {c.dpo_to_sft_per_step:.2f}x per step)" if ratio and c.dpo_to_sft_per_step else ")" if ratio else "")
                  + f", evaluation {c.seconds.get('eval', 0):.0f} s")
    console.print(f"report: {outcome.report_path}", markup=False, highlight=False)
