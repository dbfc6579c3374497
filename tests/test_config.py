"""The study file is strict: every problem reported at once, with its key."""

from pathlib import Path

import pytest
import yaml

from medtune.config import dump_study, load_study, parse_study
from medtune.errors import UserError

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "medtune" / "examples"


def test_quick_example_validates():
    study = load_study(EXAMPLES / "quick.yaml")
    assert [t.task for t in study.tasks] == ["uti", "triage"]
    assert study.sft.learning_rates and study.dpo.betas


def test_all_errors_at_once_with_keys(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nmodel: m\nseed: notanumber\nlearning_rate: 1\n"
        "tasks:\n  - task: nosuchtask\n    data: {synthetic: {n: 10}}\n"
        "sft: {learning_rates: [1e-4], steps: 0}\ndpo: {learning_rates: [1e-5], steps: 5, betaz: [0.1]}\n"
    )
    with pytest.raises(UserError) as err:
        load_study(bad)
    text = str(err.value)
    for key in ("seed:", "learning_rate: unknown key", "sft.steps:", "dpo.betaz: unknown key"):
        assert key in text, text
    assert str(bad) in text


def test_unknown_task_named(tmp_path):
    with pytest.raises(UserError, match="nosuchtask"):
        parse_study({"name": "x", "model": "m", "tasks": [{"task": "nosuchtask", "data": {"synthetic": {"n": 3}}}],
                     "sft": {"learning_rates": [1e-4], "steps": 1}, "dpo": {"learning_rates": [1e-5], "steps": 1}}, "s")


def test_data_needs_exactly_one_source():
    with pytest.raises(UserError, match="exactly one"):
        parse_study({"name": "x", "model": "m", "tasks": [{"task": "uti", "data": {}}],
                     "sft": {"learning_rates": [1e-4], "steps": 1}, "dpo": {"learning_rates": [1e-5], "steps": 1}}, "s")


def test_yaml_syntax_error_names_line(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("name: x\nmodel: [unclosed\n")
    with pytest.raises(UserError, match=r"s\.yaml:\d+"):
        load_study(bad)


def test_missing_file():
    with pytest.raises(UserError, match="no such study file"):
        load_study("/nonexistent/study.yaml")


def test_overrides_and_dump_roundtrip():
    study = load_study(EXAMPLES / "quick.yaml", ["sft.steps=3", "dpo.betas=[0.1, 0.5]"])
    assert study.sft.steps == 3 and study.dpo.betas == [0.1, 0.5]
    import yaml

    again = parse_study(yaml.safe_load(dump_study(study)), "dump")
    assert again == study
    with pytest.raises(UserError, match="KEY=VALUE"):
        load_study(EXAMPLES / "quick.yaml", ["nonsense"])


def test_overrides_index_lists_and_compute_defaults():
    plain = load_study(EXAMPLES / "quick.yaml")
    study = load_study(EXAMPLES / "quick.yaml", ["tasks.1.sizes.test=17", "compute.processes=2"])
    assert study.tasks[1].sizes.test == 17 and study.tasks[0].sizes == plain.tasks[0].sizes
    assert study.compute.processes == 2 and study.compute.strategy == "ddp"
    assert load_study(EXAMPLES / "quick.yaml").compute.processes == 1
    with pytest.raises(UserError, match="not an index of that list"):
        load_study(EXAMPLES / "quick.yaml", ["tasks.5.sizes.test=16"])
    with pytest.raises(UserError, match="compute.processes"):
        load_study(EXAMPLES / "quick.yaml", ["compute.processes=3"])  # batch 8 over 3 processes
    with pytest.raises(UserError, match="compute.strategy"):
        load_study(EXAMPLES / "quick.yaml", ["compute.strategy=zero3"])


def _with_judges(judges):
    return {"name": "x", "model": "m", "tasks": [{"task": "uti", "data": {"synthetic": {"n": 3}}}],
            "sft": {"learning_rates": [1e-4], "steps": 1}, "dpo": {"learning_rates": [1e-5], "steps": 1},
            "judges": judges}


LOCAL_JUDGE = {"name": "llama", "backend": "openai", "model": "llama3", "base_url": "http://127.0.0.1:8080/v1"}


def test_judges_section_parses_and_round_trips():
    study = parse_study(_with_judges({"jury": [LOCAL_JUDGE], "rubrics": {"uti": "equivalence"},
                                      "likert": "median"}), "s")
    assert study.judges.jury[0].name == "llama" and study.judges.rubrics == {"uti": "equivalence"}
    assert parse_study(yaml.safe_load(dump_study(study)), "again") == study


def test_judges_section_errors_name_the_problem():
    cases = [
        ({"jury": [{**LOCAL_JUDGE, "tempreature": 0}], "rubrics": {"uti": "equivalence"}},
         "judges.jury.0.tempreature: unknown key"),
        ({"jury": [LOCAL_JUDGE], "rubrics": {"uti": "vibes"}}, "rubrics.uti: unknown rubric 'vibes'"),
        ({"jury": [LOCAL_JUDGE], "rubrics": {"summarization": "summary_likert"}},
         "judges.rubrics names task(s) ['summarization'] that the study does not run"),
        ({"jury": [LOCAL_JUDGE, LOCAL_JUDGE], "rubrics": {"uti": "equivalence"}}, "judge names must be unique"),
        ({"jury": [{**LOCAL_JUDGE, "base_url": "https://8.8.8.8/v1"}], "rubrics": {"uti": "equivalence"}},
         "set `allow_external: true` for this judge"),
    ]
    for judges, message in cases:
        with pytest.raises(UserError) as err:
            parse_study(_with_judges(judges), "s")
        assert message in str(err.value), str(err.value)
    outside = {**LOCAL_JUDGE, "base_url": "https://8.8.8.8/v1", "allow_external": True}
    parse_study(_with_judges({"jury": [outside], "rubrics": {"uti": "equivalence"}}), "s")


def test_all_tasks_example_validates():
    study = load_study(EXAMPLES / "all_tasks.yaml")
    assert [t.task for t in study.tasks] == ["uti", "triage", "hyponatremia", "reasoning", "summarization"]
    assert [t.rejected for t in study.tasks] == [None, None, None, "on_policy", "weaker_model"]


def _one_task(**entry):
    return {"name": "x", "model": "m", "tasks": [{"data": {"synthetic": {"n": 3}}, **entry}],
            "sft": {"learning_rates": [1e-4], "steps": 1}, "dpo": {"learning_rates": [1e-5], "steps": 1}}


def test_rejected_strategy_must_fit_the_task():
    with pytest.raises(UserError) as err:
        parse_study(_one_task(task="reasoning", rejected="wrong_label"), "s")
    assert "tasks.0" in str(err.value.problems) and "wrong_label needs a task with labels" in str(err.value.problems)
    with pytest.raises(UserError, match="problem"):
        parse_study(_one_task(task="uti", rejected="wrong_guess"), "s")
    with pytest.raises(UserError) as err:
        parse_study(_one_task(task="uti", rejected="on_policy", rejected_model="m2"), "s")
    assert "only used with `rejected: weaker_model`" in str(err.value.problems)
    ok = parse_study(_one_task(task="summarization", rejected="weaker_model", rejected_model="m2"), "s")
    assert ok.tasks[0].rejected_model == "m2"


def test_paper_example_validates_with_the_papers_grids(tiny_model_dir):
    from typer.testing import CliRunner

    from medtune.cli.study import app

    # the tiny model stands in for the bundled one (converting that takes a minute): validate
    # reads its tokenizer and context to check every example against training.max_length
    result = CliRunner().invoke(app, ["validate", str(EXAMPLES / "paper.yaml"), "--set", f"model={tiny_model_dir}"])
    assert result.exit_code == 0 and "valid (3 task(s), 3400 examples" in result.output, result.output
    study = load_study(EXAMPLES / "paper.yaml")
    assert [t.task for t in study.tasks] == ["uti", "triage", "hyponatremia"]
    assert study.sft.learning_rates == [1e-5, 1e-6, 1e-7, 1e-8] and study.sft.steps == 1000
    assert study.dpo.learning_rates == study.sft.learning_rates and study.dpo.betas == [0.1, 0.3, 0.5]
    assert study.selection.retrain_at_plateau  # the paper trained each config again to its plateau
    assert study.tasks[0].sizes.model_dump() == {"train": 300, "eval": 200, "dev": 100, "test": 200}


def test_selection_section_is_strict():
    base = {"name": "x", "model": "m", "tasks": [{"task": "uti", "data": {"synthetic": {"n": 3}}}],
            "sft": {"learning_rates": [1e-4], "steps": 1}, "dpo": {"learning_rates": [1e-5], "steps": 1}}
    assert parse_study(base, "s").selection.retrain_at_plateau is False
    with pytest.raises(UserError) as err:
        parse_study({**base, "selection": {"window": 0, "tolerence": 0.1}}, "s")
    assert "selection.window" in str(err.value) and "selection.tolerence: unknown key" in str(err.value)


def test_task_steps_override_the_studys_budgets():
    from medtune.config import task_steps

    raw = {"name": "x", "model": "m",
           "tasks": [{"task": "uti", "data": {"synthetic": {"n": 3}}},
                     {"task": "triage", "data": {"synthetic": {"n": 3}}, "steps": {"sft": 7}}],
           "sft": {"learning_rates": [1e-4], "steps": 5}, "dpo": {"learning_rates": [1e-5], "steps": 2}}
    study = parse_study(raw, "s")
    assert [task_steps(study, t, m) for t in ("uti", "triage") for m in ("sft", "dpo")] == [5, 2, 7, 2]
    raw["tasks"][1]["steps"] = {"sft": 0, "ppo": 3}
    with pytest.raises(UserError) as err:
        parse_study(raw, "s")
    assert "tasks.1.steps.sft" in str(err.value) and "tasks.1.steps.ppo: unknown key" in str(err.value)
