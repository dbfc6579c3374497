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

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtune.config import Study, dump_study
from medtune.errors import UserError
from medtune.files import private_mkdir, write_atomic
from medtune.report.model import Results, read_results
from medtune.store import Store
from medtune.study.context import Progress, device_name
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
    predictions are reused (guard.py refuses a directory written by a different study)."""
    import torch

    from medtune.models import load_model
    from medtune.models.info import model_info
    from medtune.report.render import write_report
    from medtune.report.results import build_results
    from medtune.study.context import Context, Lazy
    from medtune.study.guard import check_study_dir
    from medtune.study.launch import die_with_launcher
    from medtune.study.preflight import check_lengths
    from medtune.study.shared import SharedStore
    from medtune.train import distributed
    from medtune.train.precision import weights_dtype

    die_with_launcher()  # a rank whose launcher is killed does not train on alone
    distributed.init_from_env(study.compute.timeout_minutes)  # under a launcher: every rank runs this study (docs/scaling.md)
    main = distributed.is_main()
    progress = progress if progress is not None and main else Progress()
    if study.training.batch_size % distributed.world_size():
        raise UserError(f"training.batch_size {study.training.batch_size} does not split evenly over "
                        f"{distributed.world_size()} processes; make it a multiple of the process count")
    if study.judges is not None:  # a missing key or judge model fails now, not after training
        from medtune.judges.stage import check_ready

        distributed.run_on_main(lambda: check_ready(study.judges))
    if study.baselines:
        from medtune.study.baselines import check_ready as baselines_ready

        distributed.run_on_main(lambda: baselines_ready(study.baselines))
    torch.manual_seed(study.seed)
    base_dir = study_file.parent if study_file else Path.cwd()
    data = {e.task: prepare_data(e, study.seed, base_dir, key=f"tasks.{i}") for i, e in enumerate(study.tasks)}
    hashes = {k: v.data_hash for k, v in data.items()}
    # Every example against max_length before the model loads or computes (study/preflight.py);
    # the tokenizer alone is enough, and rank 0 converts a bundled model first if it must.
    info = distributed.main_first(lambda: model_info(study.model, log=progress.log, revision=study.revision,
                                                                chat_template=study.chat_template))
    check_lengths(study, data, info.tokenizer, info.context)
    private_mkdir(out_dir)  # study.db, predictions and reports hold patient text: 0700
    # Rank 0 alone locks the directory and opens study.db; the others see it through SharedStore.
    held: dict[str, Any] = {}
    distributed.run_on_main(lambda: held.update(lock=_lock(out_dir), store=Store(out_dir / "study.db")))
    store = SharedStore(held.get("store"))
    try:
        check_study_dir(store, study, hashes, out_dir)
        if main:
            write_atomic(out_dir / "study.yaml", dump_study(study))
        from medtune.models.hub import pinned_revision

        # a Hub model's commit, pinned in study.db (rank 0 fetches it; the others then find it cached)
        revision = distributed.run_on_main(lambda: pinned_revision(store.local, study.model, study.revision))
        progress.log(f"loading model {study.model} ({study.training.dtype})")
        loaded = distributed.main_first(lambda: load_model(study.model, weights_dtype(study.training.dtype), revision,
                                                           study.chat_template))
        progress.log(f"model loaded: {sum(p.numel() for p in loaded.model.parameters()) / 1e6:.0f}M parameters")
        ctx = Context(study, store, loaded.tokenizer, progress, out_dir, device_name())
        base = Lazy(lambda: loaded.model)
        for entry in study.tasks:
            _run_task(ctx, data[entry.task], base)

        def report() -> tuple[dict[str, Any], Path]:
            results = build_results(store.local, study, hashes)
            return results, write_report(results, out_dir / "report")

        results, report_path = distributed.run_on_main(report)
    finally:
        store.close()
        if held.get("lock") is not None:
            held["lock"].close()
    distributed.shutdown()  # not after an error: a dead peer would never reach the barrier
    return StudyOutcome(out_dir, report_path, results)


def _lock(out_dir: Path):
    """An exclusive lock on the study directory for this process's lifetime: two processes
    running one study would train the same runs twice. The OS drops it when the process dies,
    so a killed study never leaves a stale lock. (No locking where fcntl is missing: Windows.)"""
    try:
        import fcntl
    except ImportError:
        return None
    f = open(out_dir / ".lock", "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise UserError(f"{out_dir}: another medtune process is running this study; let it finish "
                        "(or stop it) before running the study again") from None
    return f


def _run_task(ctx, td: TaskData, base) -> None:
    """base on test -> SFT sweep from base -> SFT on test -> DPO sweep from the best SFT model
    -> DPO on test -> LLM judges. Every step is skipped when its result is already stored."""
    from medtune.study.evaluation import evaluate
    from medtune.study.generated_rejected import with_generated_rejected
    from medtune.study.sweep import run_sweep

    evaluate(ctx, td, base, "base", "test")
    sft = run_sweep(ctx, td, "sft", base)
    evaluate(ctx, td, sft, "sft", "test")
    if ctx.study.dpo.enabled:
        dpo = run_sweep(ctx, with_generated_rejected(ctx, td, base, sft), "dpo", sft)
        evaluate(ctx, td, dpo, "dpo", "test")
    from medtune.study.baselines import run_baselines
    from medtune.train.distributed import run_on_main

    run_on_main(lambda: run_baselines(ctx.store.local, ctx.study, td, ctx.progress))
    run_on_main(lambda: _judge(ctx.study, td.task.name, ctx.store.local, ctx.progress))


def _judge(study: Study, task: str, store: Store, progress: Progress) -> None:
    """The study's LLM judges on the task's saved test predictions. Every verdict is cached
    in study.db, so running the study again costs no judge calls."""
    if study.judges is None or task not in study.judges.rubrics:
        return
    from medtune.judges.stage import judge_task
    from medtune.study.baselines import study_pairs

    variants = study_pairs(study, VARIANTS, ())[0]  # served baselines are judged too
    judged = sum(len(store.predictions(task, v, "test")) for v in variants)
    progress.stage(f"{task}: LLM judges ({study.judges.rubrics[task]})", judged * len(study.judges.jury))
    judge_task(_CountingStore(store, progress.advance), study.judges, task, variants=variants)


class _CountingStore:
    """The store, counting the jury's cache look-ups: every judge looks up every item once
    before calling its model (judges/jury.py), so each look-up is one verdict of progress. A
    jury over hundreds of answers at seconds each would otherwise show nothing until the end."""

    def __init__(self, store: Store, advance: Callable[[int], None]) -> None:
        self._store, self._advance = store, advance

    def judge_cached(self, *args: Any, **kwargs: Any) -> Any:
        self._advance(1)
        return self._store.judge_cached(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


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
