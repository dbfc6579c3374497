"""``medtune export``: a study's model as a Hugging Face directory or a PEFT adapter."""

from __future__ import annotations

from pathlib import Path

import typer


def export(
    study_dir: Path = typer.Argument(..., help="A finished study directory (the --out of `medtune study run`)."),
    out: Path = typer.Option(..., "--out", help="The folder to write (new, or empty)."),
    variant: str = typer.Option("selected", "--variant", help="sft, dpo, or selected (the report's recommendation)."),
    format_: str = typer.Option("merged", "--format", help="merged (full weights) or adapter (PEFT LoRA)."),
    task: str | None = typer.Option(None, "--task", help="Which task's model (each task is tuned separately)."),
) -> None:
    """Write a study's fine-tuned model with a model card, loadable by transformers, vLLM or PEFT."""
    from medtune.export import export_model

    result = export_model(study_dir, out, variant, format_, task)
    typer.echo(f"exported {result.task} {result.variant} ({result.format}) to {result.out}: {', '.join(result.files)}")
