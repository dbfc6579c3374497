"""The preflight `study validate` and `study run` share (study/preflight.py): data, sizes, the
model and its context, and every example against training.max_length, before any model runs."""

from __future__ import annotations

import json

import pytest

from medtune.config import parse_study
from medtune.errors import UserError
from medtune.study.preflight import preflight
from medtune.study.context import Progress
from medtune.runner import run_study


def _study(model, **training):
    return parse_study({
        "name": "pf", "model": str(model),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 30}}, "sizes": {"train": 8, "eval": 2, "dev": 2, "test": 4}}],
        "training": {"batch_size": 4, "pack_tokens": 256, **training},
        "sft": {"learning_rates": [1e-3], "steps": 2}, "dpo": {"learning_rates": [1e-3], "steps": 2},
    }, "test")


def test_study_run_stops_on_long_examples_before_any_stage(tiny_model_dir, tmp_path):
    """The MedQA case of issue 13: a max_length too small for some training examples stopped
    the study only after the base model's evaluation. Now no stage starts, nothing is
    written, and the message gives the count and the longest length to set."""
    stages = []
    out = tmp_path / "out"
    with pytest.raises(UserError) as err:
        run_study(_study(tiny_model_dir, max_length=120), out, progress=Progress(stage=lambda n, t: stages.append(n)))
    assert stages == [] and not out.exists()
    problems = err.value.problems
    lengths = [int(p.rsplit(": ", 1)[1].split()[0]) for p in problems]
    longest = max(lengths)
    assert len(problems) >= 2 and lengths == sorted(lengths, reverse=True)  # the longest first
    assert f"{len(problems)} of 16 examples are longer than 120 tokens" in err.value.message
    assert f"Set training.max_length to at least {longest} (the model's context is 1024)" in err.value.message
    # the length it names is enough: the same study passes the check with it
    assert preflight(_study(tiny_model_dir, max_length=longest), None).longest == longest


def test_lengths_counted_as_training_builds_them(tiny_model_dir):
    """The preflight's count equals the longest group train/batching.py builds for SFT."""
    from medtune.models import load_model
    from medtune.study.task_data import prepare_data
    from medtune.train.batching import dpo_groups

    study = _study(tiny_model_dir, max_length=1024)
    checked = preflight(study, None)
    td = prepare_data(study.tasks[0], study.seed, tiny_model_dir)
    tok = load_model(str(tiny_model_dir)).tokenizer
    groups = dpo_groups(tok, td.task, td.splits["train"] + td.splits["eval"], 1024)
    built = max(len(g.prompt) + max(len(c) for c in g.completions) for g in groups)
    assert checked.longest >= built  # dev/test label answers may be longer than the gold one


def test_max_length_beyond_the_model_context(tiny_model_dir):
    with pytest.raises(UserError, match=r"training.max_length: 4096 is beyond the context .* \(1024 tokens\)"):
        preflight(_study(tiny_model_dir, max_length=4096), None)


def test_validate_reads_the_data_file_and_checks_sizes(tiny_model_dir, tmp_path):
    """`study validate` used to pass a study whose data file was missing or invalid, or whose
    sizes needed more examples than the file has."""
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"id": f"x{i}", "prompt": f"case {i}", "chosen": "yes", "label": "yes"}) + "\n"
                            for i in range(5)))
    study = parse_study({
        "name": "pf", "model": str(tiny_model_dir),
        "tasks": [{"task": "uti", "data": {"path": "d.jsonl"}, "sizes": {"train": 8, "eval": 0, "dev": 0, "test": 4}}],
        "sft": {"learning_rates": [1e-3], "steps": 2}, "dpo": {"learning_rates": [1e-3], "steps": 2},
    }, "test")
    with pytest.raises(UserError, match=r"tasks.0.sizes \(uti; data.path d.jsonl\): splits need 12 more"):
        preflight(study, tmp_path / "study.yaml")
    data.write_text('{"id": "x", "prompt": "p", "chosen": "yes", "label": "perhaps"}\n')
    with pytest.raises(UserError) as err:
        preflight(study, tmp_path / "study.yaml")
    assert f"{data}:1: label" in str(err.value)


def test_unknown_model_is_named_by_its_key(tmp_path):
    with pytest.raises(UserError, match=r"^model: model 'nope' is neither a bundled model"):
        preflight(_study("nope"), None)


def test_generated_answers_need_room_in_the_context(tiny_model_dir):
    """The tiny model's context is 1024 tokens: a generation budget of 1000 after the prompt
    cannot fit, which generation would otherwise find out one batch at a time."""
    study = _study(tiny_model_dir, max_length=512)
    study.evaluation.mode = "generate"
    study.evaluation.max_new_tokens = 1000
    with pytest.raises(UserError, match=r"^model: \d+ prompts with their generation budget do not fit the context"):
        preflight(study, None)
    study.evaluation.max_new_tokens = 32
    preflight(study, None)
