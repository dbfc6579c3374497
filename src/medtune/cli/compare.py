"""``medtune compare``: statistics and report for predictions made elsewhere (report/compare.py)."""

from __future__ import annotations

from pathlib import Path

import typer


def compare(
    test: Path = typer.Option(..., "--test", help="The test file (medtune data file with gold labels)."),
    task: str = typer.Option(..., "--task", help="Task name, e.g. uti, triage, hyponatremia, reasoning."),
    predictions: list[str] = typer.Option(..., "--predictions",
                                          help="VARIANT=FILE, VARIANT base, sft or dpo; JSONL lines {\"id\", \"prediction\"}; "
                                          "--predictions base=F sft=F dpo=F or the option repeated."),
    more: list[str] | None = typer.Argument(None, hidden=True,
                                            help="further VARIANT=FILE after --predictions"),
    out: Path = typer.Option(..., "--out", help="Folder for results.json, report.md, index.html."),
    alpha: float = typer.Option(0.05, "--alpha"),
    family: str = typer.Option("study", "--family", help="study, task or paper (Bonferroni over tasks)."),
    correction: str = typer.Option("bonferroni", "--correction", help="bonferroni or holm."),
    margin: float | None = typer.Option(None, "--noninferiority-margin",
                                        help="Report a non-significant difference above -MARGIN as 'as good as'."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap and permutation resamples."),
) -> None:
    """Compare base / SFT / DPO predictions made anywhere with the study's statistics and report."""
    from pydantic import ValidationError

    from medtune.config import Statistics
    from medtune.errors import UserError
    from medtune.report.compare import compare_results
    from medtune.report.render import write_report

    files: dict[str, Path] = {}
    for item in [*predictions, *(more or [])]:
        variant, sep, path = item.partition("=")
        if not sep or not path:
            raise UserError(f"--predictions {item!r}: expected VARIANT=FILE, e.g. sft=sft.jsonl")
        if variant in files:
            raise UserError(f"--predictions: {variant} given twice")
        files[variant] = Path(path)
    try:
        stats = Statistics(alpha=alpha, family=family, correction=correction, noninferiority_margin=margin)
    except ValidationError as err:
        raise UserError("; ".join(f"--{'.'.join(map(str, e['loc'])) or 'family'}: {e['msg']}"
                                  for e in err.errors())) from None
    results = compare_results(test, task, files, stats, seed)
    path = write_report(results, out)
    t = results["tasks"][task]
    typer.echo(t["recommendation"])
    typer.echo(f"report: {path}")
