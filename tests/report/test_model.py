"""The typed results model (report/model.py): results.json's bytes unchanged through it, and a
file that does not fit it named key by key, with what to do, wherever medtune reads one.
Byte identity on real study directories: tests/study/same_results.py."""

from __future__ import annotations

import copy
import json

import pytest
from test_outcomes import summarization_results
from test_render import make_results, make_results_with_recommendations, without_dpo
from test_sweep import _with_sweep
from typer.testing import CliRunner

from medtune.errors import UserError
from medtune.report.model import ResultsError, dump_results, parse_results, read_results, to_dict


def _judged_results() -> dict:
    """An open-ended task headlined by an LLM jury, its automatic outcomes kept aside."""
    from medtune.judges import SUMMARY_LIKERT
    from medtune.report.graded import section
    from medtune.report.results import _graded_headline

    results = summarization_results()
    task = results["tasks"]["summarization"]
    likert = {"base": {f"e{i}": 2.0 + (i % 2) for i in range(6)}, "sft": {f"e{i}": 4.0 + (i % 3 == 0) for i in range(6)}}
    task["graded"] = {"judges:summary_likert": {
        "source": "judges", "judges": ["a", "b"], "aggregate": "mean", "agreement": [],
        **section(SUMMARY_LIKERT, likert, {"base": 6, "sft": 6}, [("base", "sft")])}}
    _graded_headline(task, task["graded"])
    for c in task["graded"]["judges:summary_likert"]["comparisons"]:
        c.update(p_adjusted=c["p"], significant=c["p"] < 0.05)
    return json.loads(json.dumps(results))  # shared objects written out, as results.json holds them


CASES = {"classification": make_results, "recommended": make_results_with_recommendations,
         "without DPO": lambda: without_dpo(make_results()), "sweep": lambda: _with_sweep(make_results()),
         "open-ended": summarization_results, "judged": _judged_results}


@pytest.mark.parametrize("case", CASES)
def test_the_model_dumps_the_bytes_json_dumps_made(case):
    results = CASES[case]()
    model = parse_results(copy.deepcopy(results))
    assert dump_results(model) == json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    assert model.undeclared() == []


def test_numbers_keep_their_type_nulls_stay_and_absent_keys_stay_absent():
    results = make_results()
    uti = results["tasks"]["uti"]
    uti["variants"]["base"].update(value=1, ci95=[None, 1.0])  # an int stays an int, 1.0 stays 1.0
    uti["comparisons"][0] = {"test": "mcnemar_exact", "b": "sft", "a": "base", "p": None, "p_adjusted": None,
                             "significant": False}  # its own key order, no endpoint key
    text = dump_results(parse_results(results))
    assert text == json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    assert '"value": 1,' in text and '"endpoint"' not in text.split('"comparisons"')[1].split("}")[0]


def test_readers_get_attributes_and_keys_added_within_the_schema_are_kept():
    results = make_results_with_recommendations()
    results["tasks"]["uti"]["comparisons"][0]["added_later"] = {"by": "a newer medtune"}
    model = parse_results(results)
    uti = model.tasks["uti"]
    assert (uti.deploy, uti.variants["sft"].per_endpoint["uti"].sensitivity, model.study.data_hashes["uti"]) == (
        "sft", 0.97, "a" * 64)
    assert uti.comparisons[0].decides and uti.comparisons[0].shown_effect is None
    assert to_dict(model)["tasks"]["uti"]["comparisons"][0]["added_later"] == {"by": "a newer medtune"}
    assert model.undeclared() == ["tasks.uti.comparisons.0.added_later"]


def test_every_key_that_does_not_fit_is_named_with_what_to_do(tmp_path):
    results = make_results()
    del results["tasks"]["uti"]["n_test"]
    results["tasks"]["triage"]["variants"]["base"]["accuracy"] = "high"
    results["tasks"]["triage"]["comparisons"][2]["significant"] = "maybe"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    with pytest.raises(UserError) as err:  # a file the user gives: exit 2
        read_results(path)
    text = str(err.value)
    assert text.startswith(f"{path} does not follow results.json schema 1: tasks.uti.n_test: missing; "
                           "tasks.triage.variants.base.accuracy: Input should be a valid number")
    assert "tasks.triage.comparisons.2.significant: Input should be a valid boolean" in text
    assert text.endswith("To fix: rebuild it from study.db with `medtune study report DIR` (DIR: the study directory)")
    with pytest.raises(ResultsError) as err:  # a dict medtune built: a bug, exit 1
        parse_results(results)
    assert not isinstance(err.value, UserError) and "tasks.uti.n_test: missing" in str(err.value)


def test_unknown_variant_and_other_schemas_are_refused():
    results = make_results()
    results["tasks"]["uti"]["variants"]["gpt"] = results["tasks"]["uti"]["variants"]["sft"]
    with pytest.raises(ResultsError, match=r"tasks\.uti: .*variants\.gpt: unknown variant"):
        parse_results(results)
    with pytest.raises(ResultsError, match="schema 2 was written by a newer medtune; this one reads schema 1: "
                                           "upgrade medtune"):
        parse_results({**make_results(), "schema": 2})
    with pytest.raises(ResultsError, match="schema: Input should be 1"):
        parse_results({**make_results(), "schema": "1"})
    with pytest.raises(ResultsError, match="expected a JSON object"):
        parse_results([make_results()])


def test_read_results_says_what_is_wrong_with_the_file(tmp_path):
    path = tmp_path / "results.json"
    with pytest.raises(ResultsError, match="results.json: missing; rebuild it"):
        read_results(path)
    path.write_text("{not json")
    with pytest.raises(ResultsError, match="results.json: not readable as JSON"):
        read_results(path)
    path.write_text(json.dumps(make_results()))
    assert read_results(path).tasks["triage"].endpoints == ["urgency", "provider"]


def _study_dir(tmp_path, results: dict):
    """A study directory as far as the readers look before they open study.db."""
    (tmp_path / "study.yaml").write_text(
        "name: s\nmodel: x\ntasks:\n  - task: uti\n    data: {synthetic: {n: 20}}\n"
        "sft: {learning_rates: [0.001], steps: 1}\ndpo: {learning_rates: [0.001], betas: [0.1], steps: 1}\n")
    (tmp_path / "study.db").write_bytes(b"")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "results.json").write_text(json.dumps(results))
    return tmp_path


def test_study_report_and_export_refuse_a_results_json_that_does_not_fit(tmp_path):
    from medtune.cli import _register, app
    from medtune.export.model import load_study_dir

    results = make_results()
    del results["study"]["data_hashes"]["uti"]
    results["study"]["data_hashes"]["triage"] = None
    out = _study_dir(tmp_path, results)
    if not app.registered_groups:  # other CLI tests may have registered the commands already
        _register()
    result = CliRunner().invoke(app, ["study", "report", str(out)])
    assert isinstance(result.exception, UserError), result.output  # cli.main: exit 2 with the message
    assert "study.data_hashes.triage: Input should be a valid string" in str(result.exception)
    assert f"run `medtune study report {out}` again" in str(result.exception)
    with pytest.raises(UserError, match=r"study\.data_hashes\.triage: .*rebuild it with `medtune study report"):
        load_study_dir(out)
