"""``medtune study``: run or check a study file."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Run a study (SFT, DPO, test, statistics, report) or check a study file.", no_args_is_help=True)


@app.command("validate")
def validate(study_file: Path = typer.Argument(..., help="The study YAML."),
             set_: list[str] = typer.Option([], "--set", help="Override a key, e.g. --set sft.steps=20")) -> None:
    """Check a study file without running anything."""
    from medtune.config import load_study

    study = load_study(study_file, set_)
    typer.echo(f"{study_file}: valid ({len(study.tasks)} task(s), model {study.model})")


@app.command("run")
def run(
    study_file: Path = typer.Argument(..., help="The study YAML."),
    out: Path = typer.Option(..., "--out", help="Study directory (created)."),
    set_: list[str] = typer.Option([], "--set", help="Override a key, e.g. --set sft.steps=20"),
) -> None:
    """Run the whole study and write the report into OUT/report/."""
    from medtune.cli.progress import run_with_progress
    from medtune.config import load_study

    study = load_study(study_file, set_)
    run_with_progress(study, out, study_file)


@app.command("report")
def report(study_dir: Path = typer.Argument(..., help="A study directory (holds study.yaml and study.db).")) -> None:
    """Rebuild statistics and the report from study.db (physician grades, cached judge verdicts,
    saved predictions); runs no model."""
    from medtune.study.refresh import refresh_report

    path, results = refresh_report(study_dir)
    graded = sorted({k for t in results["tasks"].values() for k in t.get("graded", {})})
    typer.echo(f"graded by: {', '.join(graded) or 'no judge or physician yet'}")
    typer.echo(f"report: {path}")
