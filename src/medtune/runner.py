"""The study, stage by stage: data -> base eval -> SFT sweep -> dev selection -> DPO sweep from
the best SFT model -> test eval of base, SFT and DPO -> LLM judges (when the study file has a
``judges:`` section) -> statistics -> report.

The runner sits above study/ and report/ (docs/architecture.md): it runs the stages, then
writes the report from what they stored. Every task is fine-tuned separately from the same
base model, as in the paper. The sweeps and their selection are in study/sweep.py (plateau,
then the task's primary metric on dev: F1, or accuracy or key-fact coverage for open-ended
tasks), the checkpointed runs in study/training.py, the evaluations in study/evaluation.py,
rejected answers made by a model (weaker_model, on_policy) in study/generated_rejected.py,
just before DPO. Everything a stage produces is stored in study.db as it is produced, so
running the study again on its directory continues where it stopped: a process killed at any
point loses at most the work since the last checkpoint. Models are not kept in
memory: each is rebuilt from its checkpoint when a stage needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtune.config import Study, dump_study
from medtune.files import private_mkdir, write_atomic
from medtune.report.model import Results, read_results
from medtune.study.context import Context, Progress
from medtune.study.task_data import TaskData, prepare_data
from medtune.variants import VARIANTS


@dataclass
class StudyOutcome:
    out_dir: Path
    report_path: Path
    results: dict[str, Any] = field(default_factory=dict)


def preflight(study: Study, study_file: Path | None) -> None:
    """What can be checked before any process starts (study/preflight.py): a user error raised
    here keeps its exit code (2), while under a launcher a failed rank is reported as 1."""
    from medtune.study.preflight import preflight as check

    check(study, study_file)


def run_study(study: Study, out_dir: Path, study_file: Path | None = None, progress: Progress | None = None) -> StudyOutcome:
    """Run the study into ``out_dir``, or continue it there: stored runs, checkpoints and
    predictions are reused (guard.py refuses a directory written by a different study).
    Under a launcher every rank runs this; study/processes.py says which rank does what."""
    import torch

    from medtune.models.info import model_info
    from medtune.report.render import write_report
    from medtune.report.results import build_results
    from medtune.study import processes
    from medtune.study.guard import check_study_dir
    from medtune.study.preflight import check_lengths

    progress = processes.join(study, progress)
    if study.judges is not None:  # a missing key or judge model fails now, not after training
        from medtune.judges.stage import check_ready

        processes.on_main(lambda: check_ready(study.judges))
    if study.baselines:
        from medtune.study.baselines import check_ready as baselines_ready

        processes.on_main(lambda: baselines_ready(study.baselines))
    torch.manual_seed(study.seed)
    base_dir = study_file.parent if study_file else Path.cwd()
    data = {e.task: prepare_data(e, study.seed, base_dir, key=f"tasks.{i}") for i, e in enumerate(study.tasks)}
    hashes = {k: v.data_hash for k, v in data.items()}
    # Every example against max_length before the model loads or computes (study/preflight.py);
    # the tokenizer alone is enough, and rank 0 converts a bundled model first if it must.
    info = processes.main_first(lambda: model_info(study.model, log=progress.log, revision=study.revision,
                                                   chat_template=study.chat_template))
    check_lengths(study, data, info.tokenizer, info.context)
    private_mkdir(out_dir)  # study.db, predictions and reports hold patient text: 0700
    store = processes.open_store(out_dir)
    try:
        check_study_dir(store, study, hashes, out_dir)
        processes.main_only(lambda: write_atomic(out_dir / "study.yaml", dump_study(study)))
        ctx = processes.open_context(study, store, out_dir, progress)
        for entry in study.tasks:
            _run_task(ctx, data[entry.task])

        def report() -> tuple[dict[str, Any], Path]:
            results = build_results(store.local, study, hashes)
            return results, write_report(results, out_dir / "report")

        results, report_path = processes.on_main(report)
    finally:
        store.close()
    processes.leave()  # not after an error: a dead peer would never reach the barrier
    return StudyOutcome(out_dir, report_path, results)


def _run_task(ctx: Context, td: TaskData) -> None:
    """base on test -> SFT sweep from base -> SFT on test -> DPO sweep from the best SFT model
    -> DPO on test -> served baselines -> LLM judges. Every step is skipped when its result is
    already stored."""
    from medtune.study.baselines import run_baselines
    from medtune.study.evaluation import evaluate
    from medtune.study.generated_rejected import with_generated_rejected
    from medtune.study.judging import judge
    from medtune.study.sweep import run_sweep

    evaluate(ctx, td, ctx.base, "base", "test")
    sft = run_sweep(ctx, td, "sft", ctx.base)
    evaluate(ctx, td, sft, "sft", "test")
    if ctx.study.dpo.enabled:
        dpo = run_sweep(ctx, with_generated_rejected(ctx, td, ctx.base, sft), "dpo", sft)
        evaluate(ctx, td, dpo, "dpo", "test")
    run_baselines(ctx, td)
    judge(ctx, td)


def results_summary(results: Results) -> list[dict[str, Any]]:
    """One row per task for the CLI's closing table."""
    rows = []
    for name, t in results.tasks.items():
        p = {(c.a, c.b, c.endpoint): c.p_adjusted for c in t.comparisons if not c.secondary}
        rows.append(
            {
                "task": name,
                "metric": t.metric,
                **{k: t.variants[k].value if k in t.variants else None for k in VARIANTS},
                "p": p,
                "deploy": t.deploy,
            }
        )
    return rows


def load_results(out_dir: Path) -> Results:
    """A study directory's report/results.json, validated (report/model.py)."""
    return read_results(out_dir / "report" / "results.json")
