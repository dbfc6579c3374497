"""``medtune demo``: the whole study on the bundled model and synthetic tasks, offline."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", help="Study directory (created)."),
    set_: list[str] = typer.Option([], "--set", help="Override a key of examples/quick.yaml, e.g. --set sft.steps=5"),
) -> None:
    """Run examples/quick.yaml: uti and triage, base vs SFT vs DPO, on this machine's CPU."""
    from medtune.cli.progress import run_with_progress
    from medtune.config import load_study

    with resources.as_file(resources.files("medtune") / "examples" / "quick.yaml") as path:
        study = load_study(path, set_)
        run_with_progress(study, out, path)
