"""study/processes.py: the one module that decides which process of a study does what, and the
stage context the runner and a fan-out worker both build with it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import medtune
from medtune.config import parse_study
from medtune.errors import UserError
from medtune.study import processes
from medtune.study.context import Context, Progress

STUDY = Path(medtune.__file__).parent / "study"
# the plumbing itself: which rank does what (processes.py), study.db from every rank (shared.py)
PLUMBING = {"processes.py", "shared.py"}


def test_stages_leave_rank_decisions_to_processes():
    """No study module but the plumbing imports train/distributed.py or asks for its rank:
    a stage says what runs where through processes' named calls (on_main, main_only, shard)."""
    offenders = []
    for path in sorted(STUDY.glob("*.py")):
        if path.name in PLUMBING:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in ("medtune.train.distributed", "medtune.train") \
                    and (node.module.endswith("distributed") or any(a.name == "distributed" for a in node.names)):
                offenders.append(f"{path.name}: imports train.distributed")
            if isinstance(node, ast.Attribute) and node.attr in ("rank", "run_on_main", "shard_map", "world_size"):
                offenders.append(f"{path.name}: {node.attr}")
    assert offenders == []


def _study(model_dir, batch_size=4):
    return parse_study({"name": "p", "seed": 0, "model": str(model_dir),
                        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 20}},
                                   "sizes": {"train": 8, "eval": 4, "dev": 4, "test": 4}}],
                        "training": {"batch_size": batch_size}, "sft": {"learning_rates": [1e-3], "steps": 1},
                        "dpo": {"learning_rates": [1e-3], "steps": 1}}, "test")


def test_one_process_is_main_and_runs_everything_itself(tiny_model_dir):
    progress = Progress(log=lambda msg: None)
    assert processes.join(_study(tiny_model_dir, batch_size=3), progress) is progress  # 3 splits over 1
    assert processes.is_main() and processes.count() == 1
    ran = []
    processes.main_only(lambda: ran.append("main"))
    assert ran == ["main"] and processes.on_main(lambda: 7) == 7
    assert processes.shard(lambda part: [x * 2 for x in part], [1, 2, 3]) == [2, 4, 6]
    advanced = []
    processes.shard_progress(Progress(advance=advanced.append))(5)
    assert advanced == [5]  # one process: its share is the whole
    assert isinstance(processes.join(_study(tiny_model_dir), None), Progress)  # the CLI gave none


def test_the_lock_is_rank_0s_and_a_worker_opens_the_store_without_it(tmp_path):
    """The runner locks the study directory; a second runner is refused, but a fan-out worker
    of the first (lock=False) opens study.db while the lock is held. Closing the store frees
    the lock."""
    store = processes.open_store(tmp_path)
    try:
        with pytest.raises(UserError, match="another medtune process"):
            processes.open_store(tmp_path)
        worker = processes.open_store(tmp_path, lock=False)
        worker.set_meta({"from": "worker"})
        worker.close()
        assert store.meta("from") == "worker"  # one study.db, seen through either
    finally:
        store.close()
    processes.open_store(tmp_path).close()  # the lock went with the store


def test_open_context_builds_what_every_stage_gets(tiny_model_dir, tmp_path):
    """One function builds the stage context, in the runner and in a fan-out worker: the
    tokenizer, the base model loaded once, this process's device; nothing pinned for a
    local model directory."""
    study = _study(tiny_model_dir)
    store = processes.open_store(tmp_path)
    try:
        logged = []
        ctx = processes.open_context(study, store, tmp_path, Progress(log=logged.append))
        assert isinstance(ctx, Context) and ctx.store is store and ctx.out_dir == tmp_path
        assert ctx.device == "cpu" and ctx.tokenizer is not None
        assert ctx.base.get() is ctx.base.get() and ctx.base.spec == ("base",)
        assert ctx.base.get().config.num_hidden_layers == 2  # the tiny model
        assert logged[0].startswith(f"loading model {tiny_model_dir}") and store.meta("model_revision") is None
    finally:
        store.close()
