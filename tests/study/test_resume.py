"""A study interrupted in-process (an exception from the progress hook, where a kill would
land) continues on the next run to exactly the state of a study never interrupted. The SIGKILL
version of this, through the CLI, is tests/study/test_kill.py (integration tier)."""

import pytest
from study_state import query, snapshot

from medtune.study.context import Progress
from medtune.runner import run_study
from tiny_studies import synthetic, tiny_study


class Interrupted(Exception):
    pass


def _study(model_dir, **over):
    return tiny_study(model_dir, **{"name": "resume", "tasks": [synthetic("uti", 40, 12, 4, 4, 8)],
                         "sft": {"learning_rates": [1e-3, 1e-4], "steps": 4, "eval_every": 2},
                         "dpo": {"learning_rates": [1e-3], "betas": [0.1], "steps": 4, "eval_every": 2},
                         "selection": {"window": 1}, **over})


def _interrupt_at(stage_prefix: str, units: int) -> Progress:
    """Raise on the ``units``-th progress unit of the first stage whose label starts so."""
    state = {"stage": "", "n": 0}

    def stage(name, total):
        state["stage"], state["n"] = name, 0

    def advance(n):
        state["n"] += n
        if state["stage"].startswith(stage_prefix) and state["n"] >= units:
            raise Interrupted(state["stage"])

    return Progress(stage=stage, advance=advance)


def test_interrupted_study_continues_to_the_same_state(tiny_model_dir, tmp_path):
    run_study(_study(tiny_model_dir), tmp_path / "whole")
    out = tmp_path / "parts"
    # step 3 of the second SFT config: its checkpoint at step 2 is the one to resume from
    with pytest.raises(Interrupted):
        run_study(_study(tiny_model_dir), out, progress=_interrupt_at("uti: SFT lr=0.0001", 3))
    assert query(out / "study.db", "SELECT key, status FROM runs") == [
        ("uti/sft/lr=0.001", "done"), ("uti/sft/lr=0.0001", "running")]
    assert query(out / "study.db", "SELECT c.step, c.resumable FROM checkpoints c JOIN runs r ON r.id = c.run_id "
                                   "WHERE r.key = 'uti/sft/lr=0.0001'") == [(2, 1)]
    with pytest.raises(Interrupted):  # then at step 3 of DPO
        run_study(_study(tiny_model_dir), out, progress=_interrupt_at("uti: DPO", 3))
    logged = []
    run_study(_study(tiny_model_dir), out, progress=Progress(log=logged.append))
    assert any("resuming from step 2" in m for m in logged)
    assert snapshot(out) == snapshot(tmp_path / "whole")


def test_finished_study_reruns_nothing(tiny_model_dir, tmp_path):
    study = _study(tiny_model_dir, sft={"learning_rates": [1e-3], "steps": 2, "eval_every": 1},
                   dpo={"enabled": False, "learning_rates": [1e-3], "steps": 1})
    run_study(study, tmp_path / "s")
    before = snapshot(tmp_path / "s")
    stages = []
    run_study(study, tmp_path / "s", progress=Progress(stage=lambda name, total: stages.append(name)))
    assert stages == []  # no training, no evaluation
    assert snapshot(tmp_path / "s") == before


@pytest.mark.parametrize("schedule", ["constant", "linear"])
def test_retrain_at_plateau(tiny_model_dir, tmp_path, schedule):
    """tolerance 1 makes the first eval point (step 2) the plateau of a 4-step probe; the
    retrain trains 2 steps from scratch. With a constant schedule that is the probe's first 2
    steps exactly; a linear schedule decays over 2 steps instead of 4, so the weights differ."""
    from medtune.store import Store
    from medtune.train.checkpoint import load_weights

    study = _study(tiny_model_dir, sft={"learning_rates": [1e-3], "steps": 4, "eval_every": 2},
                   dpo={"enabled": False, "learning_rates": [1e-3], "steps": 1},
                   selection={"window": 1, "tolerance": 1.0, "retrain_at_plateau": True},
                   training={"batch_size": 4, "pack_tokens": 256, "schedule": schedule})
    out = tmp_path / "s"
    run_study(study, out)
    store = Store(out / "study.db")
    probe, retrain = store.runs("uti")
    assert (probe["key"], retrain["key"], retrain["role"]) == ("uti/sft/lr=0.001", "uti/sft/lr=0.001/retrain", "retrain")
    assert (probe["plateau_step"], probe["chosen_run"], probe["chosen_step"]) == (2, retrain["id"], 2)
    assert probe["selected"] == 1
    [probe_ckpt], [retrain_ckpt] = store.checkpoints(probe["id"]), store.checkpoints(retrain["id"])
    store.close()
    a, b = load_weights(out / probe_ckpt["path"]), load_weights(out / retrain_ckpt["path"])
    same = all((a[k] == b[k]).all() for k in a)
    assert same == (schedule == "constant")


def test_a_study_directory_runs_in_one_process_at_a_time(tiny_model_dir, tmp_path):
    import fcntl

    from medtune.errors import UserError

    out = tmp_path / "s"
    out.mkdir()
    with open(out / ".lock", "w") as held:  # as another process running the study would
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(UserError, match="another medtune process"):
            run_study(_study(tiny_model_dir), out)
    assert not (out / "study.db").exists()
