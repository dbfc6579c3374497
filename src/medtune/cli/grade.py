"""``medtune grade``: the physician grading app. Thin: parse, call ``medtune.grading``, print."""

from __future__ import annotations

from pathlib import Path

import typer

from medtune.errors import UserError

app = typer.Typer(help="Physician grading: blinded items, two graders each, adjudication, agreement.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


def _store(study_dir: Path):
    from medtune.store import Store

    if not (study_dir / "study.db").is_file():
        raise UserError(f"{study_dir}: no study.db here; give the directory of a study that has run")
    return Store(study_dir / "study.db")


@app.command()
def items(
    study_dir: Path = typer.Argument(..., help="Study directory (holds study.db)."),
    task: str = typer.Option(..., "--task", help="Task whose test predictions are graded."),
    rubric: str = typer.Option(..., "--rubric", help="summary_likert or equivalence."),
    variants: str = typer.Option("base,sft,dpo", "--variants", help="Comma-separated variants."),
) -> None:
    """Create the blinded grading items (one per test example and variant) and assign them."""
    from medtune.grading import create_items

    store = _store(study_dir)
    n = create_items(store, task, rubric, tuple(v.strip() for v in variants.split(",") if v.strip()))
    typer.echo(f"{n} new {rubric} items for {task}")
    if len(store.grader_ids("grader")) < 2:
        typer.echo(f"each item needs two graders: medtune grade add-grader {study_dir} NAME "
                   "(graders added later get a fair share of the ungraded items)")


@app.command("add-grader")
def add_grader(
    study_dir: Path = typer.Argument(..., help="Study directory (holds study.db)."),
    name: str = typer.Argument(..., help="The grader's name, shown to them and in the export."),
    role: str = typer.Option("grader", "--role", help="grader or adjudicator."),
    host: str = typer.Option("127.0.0.1", "--host", help="Host the app will be served on (for the link)."),
    port: int = typer.Option(8765, "--port", help="Port the app will be served on (for the link)."),
) -> None:
    """Add a grader and print their personal link. The secret is shown once; only its hash is kept."""
    from medtune.grading import add_grader as add

    token = add(_store(study_dir), name, role)
    typer.echo(f"{role} {name}: {_link(host, port, token)}")
    typer.echo("Give this link to them privately; it cannot be shown again. "
               f"To end it: medtune grade revoke {study_dir} {name}")


def _link(host: str, port: int, token: str) -> str:
    from medtune.grading.app import is_loopback

    scheme = "http" if is_loopback(host) else "https"  # beyond loopback: behind HTTPS only
    return f"{scheme}://{host}:{port}/login?token={token}"


@app.command()
def revoke(
    study_dir: Path = typer.Argument(..., help="Study directory (holds study.db)."),
    name: str = typer.Argument(..., help="The grader whose link and sessions end."),
    new_link: bool = typer.Option(False, "--new-link", help="Print a new personal link for them."),
    host: str = typer.Option("127.0.0.1", "--host", help="Host the app is served on (for the link)."),
    port: int = typer.Option(8765, "--port", help="Port the app is served on (for the link)."),
) -> None:
    """End a grader's sessions and make their link invalid (a lost or leaked link); their
    grades stay. With --new-link, print a new link."""
    from medtune.grading import revoke as end

    token = end(_store(study_dir), name, new_link)
    typer.echo(f"{name}: link and sessions revoked; their grades are kept")
    if token:
        typer.echo(f"new link for {name}: {_link(host, port, token)}")


@app.command()
def serve(
    study_dir: Path = typer.Argument(..., help="Study directory (holds study.db)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; loopback by default."),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
) -> None:
    """Serve the grading app (access log off: no tokens or patient text in logs)."""
    import logging

    from medtune.grading.app import server

    from medtune.grading.app import is_loopback

    _store(study_dir).close()
    if not is_loopback(host):
        typer.echo(f"warning: listening on {host}, not loopback: the session cookie is Secure, so "
                   "serve it behind HTTPS (a reverse proxy) on a trusted network", err=True)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    typer.echo(f"grading app on http://{host}:{port}/ (graders open their personal links)")
    server(study_dir, host, port).run()


@app.command()
def export(
    study_dir: Path = typer.Argument(..., help="Study directory (holds study.db)."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """Write every grade (unblinded) and the final verdict per item to a CSV file."""
    from medtune.grading import export_csv

    n = export_csv(_store(study_dir), out)
    typer.echo(f"wrote {n} grades to {out}")
    typer.echo(f"to put the final grades into the study's statistics and report: medtune study report {study_dir}")
