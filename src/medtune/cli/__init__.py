"""The ``medtune`` command. Each command group lives in its own module and stays thin:
parse, call the library, print. Heavy imports happen inside the commands so ``--help`` is
instant."""

from __future__ import annotations

import sys

import typer

from medtune.errors import UserError

app = typer.Typer(
    name="medtune",
    help="Fine-tune an LLM for a clinical task with SFT, then DPO, and test whether it helped.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from medtune.cli import data, demo, grade, study

    app.add_typer(data.app, name="data")
    app.add_typer(study.app, name="study")
    app.add_typer(grade.app, name="grade")
    app.command("demo")(demo.demo)


def main() -> None:
    _register()
    try:
        app()
    except UserError as err:
        # Plain text: messages quote user data (brackets would be read as rich markup) and
        # FILE:LINE lines must not be wrapped, so editors and grep can jump to them.
        # backslashreplace: a message quoting a lone surrogate from the data must still print
        typer.echo(f"error: {err}".encode("utf-8", "backslashreplace").decode("utf-8"), err=True)
        sys.exit(2)
