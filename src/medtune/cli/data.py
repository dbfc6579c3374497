"""``medtune data``: check a data file, or make a synthetic one. Thin: parse, call the
library, print. Errors the user can fix raise UserError; ``medtune.cli.main`` prints them
and exits 2."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from medtune.errors import UserError
from medtune.files import check_writable

app = typer.Typer(help="Check and make data files.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)


@app.command()
def validate(
    file: Path = typer.Argument(..., help="Data file: .jsonl (JSON Lines), .json (JSON Lines or one "
                                          "array of objects), .csv, .xlsx (first sheet) or .parquet."),
    task: str = typer.Option(..., "--task", help="Task the data is for, e.g. uti."),
    model: str | None = typer.Option(None, "--model", help="Also check every prompt with its answer "
                                     "fits this model's context (a bundled name or a model folder)."),
) -> None:
    """Check FILE against the record schema and TASK; list every problem as FILE:LINE."""
    from medtune.data.validate import load_examples

    lengths = None
    if model is not None:
        from medtune.models.info import model_info

        info = model_info(model, key="--model", log=lambda m: typer.echo(m, err=True))
        if info.context is not None:
            lengths = (lambda text: len(info.tokenizer(text, add_special_tokens=False).input_ids), info.context)
    examples = load_examples(file, _task(task), lengths)
    typer.echo(summary_line(str(file), examples))


@app.command()
def synth(
    task: str = typer.Argument(..., help="Task with a synthetic generator, e.g. uti."),
    n: int = typer.Option(..., "--n", min=1, help="Number of examples."),
    seed: int = typer.Option(0, "--seed", help="Random seed; same seed, same file."),
    out: Path = typer.Option(..., "--out", help="JSONL file to write (replaced atomically)."),
) -> None:
    """Write N synthetic TASK examples, with rejected answers by the task's default strategy
    (a wrong label; a plausible wrong answer for open-ended tasks), to OUT."""
    from medtune.data.readers import write_jsonl
    from medtune.tasks.rejected import fill_rejected

    check_writable(out)
    t = _task(task)
    try:
        examples = t.generate(n, seed)
    except NotImplementedError as err:
        raise UserError(f"{err}; use a task that has one, or bring your own data") from None
    examples = fill_rejected(examples, t, strategy=t.default_rejected, seed=seed)
    write_jsonl(out, examples)
    typer.echo(f"wrote {len(examples)} {task} examples to {out}")


@app.command()
def medqa(
    file: Path = typer.Argument(..., help="MedQA JSONL (question, answer, options, meta_info, "
                                          "answer_idx)."),
    out: Path = typer.Option(..., "--out", help="JSONL file to write (replaced atomically)."),
    meta: str | None = typer.Option(None, "--meta", help='Keep only this meta_info, e.g. '
                                                          '"step2&3".'),
    seed: int = typer.Option(0, "--seed", help="Seed for the wrong option used as rejected."),
) -> None:
    """Make MedQA questions open-ended (no options shown); rejected = a random wrong option."""
    from medtune.data.readers import write_jsonl
    from medtune.tasks.medqa import read_medqa

    check_writable(out)
    examples = read_medqa(file, meta_info=meta, seed=seed)
    write_jsonl(out, examples)
    unchanged = sum(e.meta["rewrite"] is None for e in examples)
    typer.echo(f"wrote {len(examples)} open-ended questions to {out} "
               f"({unchanged} left as written: no 'which of the following' to rewrite)")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="Table: .csv, .xlsx (first sheet), .parquet or .jsonl."),
    task: str = typer.Option(..., "--task", help="Task the data is for, e.g. uti."),
    maps: list[str] = typer.Option(..., "--map", help="FIELD=COLUMN for prompt and chosen "
                                   "(required) and id, split, label, rejected; repeat it."),
    out: Path = typer.Option(..., "--out", help="JSONL file to write (replaced atomically)."),
) -> None:
    """Turn a table into medtune JSONL by a column mapping; every row problem as FILE:ROW."""
    from medtune.data.importers import import_table, parse_maps
    from medtune.data.readers import write_jsonl

    check_writable(out)
    examples, blank = import_table(file, _task(task), parse_maps(maps))
    write_jsonl(out, examples)
    skipped = f" ({blank} blank rows skipped)" if blank else ""
    typer.echo(f"wrote {len(examples)} {task} examples to {out}{skipped}")


@app.command()
def export(
    file: Path = typer.Argument(..., help="medtune data file (.jsonl, .json, .csv, .xlsx or .parquet)."),
    fmt: str = typer.Option(..., "--format", help="openai-sft, openai-dpo or trl."),
    out: Path = typer.Option(..., "--out", help="JSONL file to write (replaced atomically)."),
    task: str | None = typer.Option(None, "--task", help="Task: checks labels and adds its "
                                                          "system prompt."),
) -> None:
    """Export for hosted fine-tuning (OpenAI SFT or preference) or TRL's preference format."""
    from medtune.data.export import export_examples, load_for_export

    check_writable(out)
    t = _task(task) if task else None
    examples = load_for_export(file, t)
    n = export_examples(examples, fmt, out, t.system_prompt if t else None, source=str(file))
    typer.echo(f"wrote {n} {fmt} records to {out}")


def summary_line(path: str, examples) -> str:
    """'PATH: N examples; splits: ...; labels: ...' (multi-axis labels counted per axis)."""
    splits = Counter(ex.split or "unsplit" for ex in examples)
    from medtune.data.records import SPLITS

    split_text = ", ".join(f"{s} {splits[s]}" for s in (*SPLITS, "unsplit") if splits[s])
    axes: dict[str, Counter] = {}
    for ex in examples:
        if isinstance(ex.label, dict):
            for axis, value in ex.label.items():
                axes.setdefault(axis, Counter())[value] += 1
        elif ex.label is not None:
            axes.setdefault("", Counter())[ex.label] += 1
    label_text = "; ".join(
        (f"{axis} " if axis else "") + ", ".join(f"{v} {c}" for v, c in sorted(counts.items()))
        for axis, counts in axes.items()
    ) or "none"
    noun = "example" if len(examples) == 1 else "examples"
    return f"{path}: {len(examples)} {noun} ok; splits: {split_text}; labels: {label_text}"


def _task(name: str):
    from medtune.tasks import get_task

    try:
        return get_task(name)
    except KeyError as err:
        raise UserError(f"{err.args[0]}; use one of those names") from None
