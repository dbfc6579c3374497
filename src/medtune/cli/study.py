"""``medtune study``: run or check a study file."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Run a study (SFT, DPO, test, statistics, report) or check a study file.", no_args_is_help=True)


@app.command("validate")
def validate(study_file: Path = typer.Argument(..., help="The study YAML."),
             set_: list[str] = typer.Option([], "--set", help="Override a key, e.g. --set sft.steps=20")) -> None:
    """Check a study file and everything `study run` would check before training: the data of
    every task (read, validated, split to its sizes), the model and its context, the length of
    every example against training.max_length. Loads the tokenizer, not the weights."""
    from medtune.config import load_study
    from medtune.study.preflight import preflight

    study = load_study(study_file, set_)
    checked = preflight(study, study_file, log=lambda m: typer.echo(m, err=True))
    n = sum(checked.examples.values())
    context = f", context {checked.context}" if checked.context else ""
    typer.echo(f"{study_file}: valid ({len(study.tasks)} task(s), {n} examples, model {study.model}{context}; "
               f"longest example {checked.longest} tokens of training.max_length {study.training.max_length})")


@app.command("run")
def run(
    study_file: Path = typer.Argument(..., help="The study YAML."),
    out: Path = typer.Option(..., "--out", help="Study directory (created)."),
    set_: list[str] = typer.Option([], "--set", help="Override a key, e.g. --set sft.steps=20"),
    processes: int | None = typer.Option(None, "--processes", min=1,
                                         help="Processes on this node (one per GPU); sets compute.processes."),
) -> None:
    """Run the whole study and write the report into OUT/report/."""
    import os

    from medtune.cli.progress import run_with_progress
    from medtune.config import load_study
    from medtune.files import check_writable

    if processes is not None:
        set_ = [*set_, f"compute.processes={processes}"]
    study = load_study(study_file, set_)
    check_writable(out, folder=True)
    if "WORLD_SIZE" not in os.environ and study.compute.processes > 1:
        from medtune.study.launch import relaunch
        from medtune.runner import preflight

        preflight(study, study_file)  # a bad data file exits 2 here, not as a failed rank
        raise typer.Exit(relaunch(study.compute.processes, study_file, out, set_))
    if int(os.environ.get("RANK", "0")) != 0:  # one progress display and summary: rank 0's
        from medtune.runner import run_study

        run_study(study, out, study_file)
        return
    run_with_progress(study, out, study_file)


@app.command("report")
def report(study_dir: Path = typer.Argument(..., help="A study directory (holds study.yaml and study.db).")) -> None:
    """Rebuild statistics and the report from study.db (physician grades, cached judge verdicts,
    saved predictions); runs no model."""
    from medtune.report.refresh import refresh_report

    path, results = refresh_report(study_dir)
    graded = sorted({k for t in results.tasks.values() for k in t.graded})
    typer.echo(f"graded by: {', '.join(graded) or 'no judge or physician yet'}")
    typer.echo(f"report: {path}")


@app.command("status")
def status(out: Path = typer.Argument(..., help="A study directory (the --out of `medtune study run`).")) -> None:
    """Every stage and run of a study directory: its state, the step reached, its checkpoint."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from medtune.study.status import study_status

    stages, runs = study_status(out)
    console = Console()
    colors = {"done": "green", "running": "yellow", "pending": "dim"}
    table = Table(title=f"{out}: stages")
    for col in ("stage", "state"):
        table.add_column(col)
    for s in stages:
        table.add_row(escape(s.name), f"[{colors.get(s.state, 'white')}]{s.state}[/]")
    console.print(table)
    table = Table(title="runs (checkpoint: step of the newest, under checkpoints/<run>/)")
    table.add_column("run", no_wrap=True)
    for col in ("state", "step", "ckpt", "plateau", "dev", "chosen"):
        table.add_column(col)
    for r in runs:
        ckpt = f"{int(Path(r.checkpoint).name.split('-')[1])}{' +state' if r.resumable else ''}" if r.checkpoint else "-"
        table.add_row(escape(r.key), f"[{colors.get(r.state, 'white')}]{r.state}[/]",
                      f"{r.step}/{r.steps}" if r.steps else "-", ckpt,
                      "-" if r.plateau is None else str(r.plateau),
                      "-" if r.dev_metric is None else f"{r.dev_metric:.3f}", "yes" if r.selected else "")
    console.print(table)
    if any(s.state == "running" for s in stages) or any(r.state == "running" for r in runs):
        console.print("running: in progress, or interrupted (`medtune study run` on this directory continues it); "
                      "+state: the checkpoint keeps optimizer and RNG state to resume from")


@app.command("plan")
def plan(
    study_file: Path = typer.Argument(..., help="The study YAML."),
    from_: Path | None = typer.Option(None, "--from", help="A pilot study directory: plan from its observed effects."),
    assume: list[str] = typer.Option([], "--assume", help="TASK:accuracy=BASE,SFT, TASK:f1=BASE,SFT or "
                                     "TASK:discordant=SFT_ONLY,BASE_ONLY,N (repeat; TASK.ENDPOINT for one axis)."),
    prevalence: float = typer.Option(0.5, "--prevalence", min=0.01, max=0.99,
                                     help="Share of gold positives assumed for the F1 test."),
    set_: list[str] = typer.Option([], "--set", help="Override a key, e.g. --set statistics.family=paper"),
) -> None:
    """Test examples each comparison needs for the study's power at its family threshold, and the
    power of the test size the study file plans."""
    from medtune.config import load_study
    from medtune.errors import UserError
    from medtune.study.plan import plan_assumed, plan_pilot, thresholds

    study = load_study(study_file, set_)
    if (from_ is None) == (not assume):
        raise UserError("study plan: give --from PILOT_DIR or at least one --assume (not both)")
    rows = plan_pilot(study, from_) if from_ is not None else plan_assumed(study, assume, prevalence)
    s = study.statistics
    for task, (m, thr) in thresholds(study).items():
        typer.echo(f"{task}: family {s.family}, m = {m}, {s.correction}, threshold p < {thr:.4g} "
                   f"(alpha {s.alpha:g}), power {s.power:.0%}")
    typer.echo("task\tendpoint\tcomparison\ttest\teffect\tn needed\tplanned n\tpower at planned n\tbasis")
    for r in rows:
        power = "–" if r.power_at_planned is None else f"{r.power_at_planned:.0%}"
        typer.echo(f"{r.task}\t{r.endpoint}\t{r.comparison}\t{r.test}\t{r.effect:+.3f}\t{r.n_needed or '–'}\t"
                   f"{r.planned or '–'}\t{power}\t{r.basis}")
