"""`medtune study plan`: sample sizes from assumed rates and from a pilot's results.json."""

import json

import pytest

from medtune.config import load_study
from medtune.errors import UserError
from medtune.stats import power as pw
from medtune.study.plan import parse_assumptions, plan_assumed, plan_pilot, thresholds

QUICK = "src/medtune/examples/quick.yaml"
STUDY_FAMILY = ["statistics.family=study"]  # quick.yaml's own family is the paper's; these tests pin theirs


def test_thresholds_follow_the_family():
    """quick.yaml: uti 3 pairs x 1 endpoint, triage 3 x 2 = 9 in the study family."""
    assert thresholds(load_study(QUICK, STUDY_FAMILY)) == {"uti": (9, pytest.approx(0.05 / 9)),
                                                 "triage": (9, pytest.approx(0.05 / 9))}
    assert thresholds(load_study(QUICK, ["statistics.family=task"]))["uti"] == (3, pytest.approx(0.05 / 3))
    assert thresholds(load_study(QUICK, ["statistics.family=paper"]))["triage"] == (2, 0.025)


def test_plan_from_the_pilots_discordance():
    """The pilot: McNemar 65 (only SFT right) vs 32 (only base right) of 160: the McNemar row's
    n is the exact sample size, and its power at the planned 48 is the exact power."""
    study = load_study(QUICK, STUDY_FAMILY)
    rows = plan_assumed(study, ["uti:accuracy=0.52,0.725", "uti:discordant=65,32,160"])
    f1, mc = rows
    planned = next(t.sizes.test for t in study.tasks if t.task == "uti")
    assert (mc.n_needed, mc.planned) == (pw.mcnemar_n(32 / 160, 65 / 160, 0.05 / 9)[0], planned)
    assert mc.power_at_planned == pytest.approx(pw.mcnemar_power(planned, 32 / 160, 65 / 160, 0.05 / 9))
    assert mc.effect == pytest.approx(33 / 160)
    assert f1.test.startswith("permutation F1") and f1.n_needed > mc.n_needed / 2 and 0 < f1.power_at_planned < 1


def test_bad_assumptions_name_the_option():
    with pytest.raises(UserError, match="--assume 'uti:acc=1'"):
        parse_assumptions(["uti:acc=1"])
    with pytest.raises(UserError, match="not in the study"):
        plan_assumed(load_study(QUICK, STUDY_FAMILY), ["hyponatremia:f1=0.3,0.5"])


def test_plan_from_a_pilot_results_json(tmp_path):
    comps = [{"a": "base", "b": "sft", "endpoint": "uti", "test": "permutation_f1", "n": 48,
              "effect": 0.2, "effect_se": 0.08},
             {"a": "base", "b": "sft", "endpoint": "uti", "test": "mcnemar_exact", "n": 48, "a_only": 4, "b_only": 14}]
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "results.json").write_text(json.dumps({"tasks": {"uti": {"comparisons": comps}}}))
    f1, mc = plan_pilot(load_study(QUICK, STUDY_FAMILY), tmp_path)
    assert f1.n_needed == pw.n_normal(0.2, 0.08 * 48 ** 0.5, 1, 0.05 / 9)
    assert mc.n_needed == pw.mcnemar_n(4 / 48, 14 / 48, 0.05 / 9)[0]
    with pytest.raises(UserError, match="no pilot results"):
        plan_pilot(load_study(QUICK, STUDY_FAMILY), tmp_path / "nowhere")


def test_plan_cli_prints_the_family_and_one_row_per_test():
    from typer.testing import CliRunner

    from medtune.cli.study import app

    r = CliRunner().invoke(app, ["plan", QUICK, "--set", "statistics.family=study", "--assume", "triage.urgency:f1=0.35,0.70"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert "triage: family study, m = 9, bonferroni, threshold p < 0.005556 (alpha 0.05), power 80%" in lines
    rows = [line.split("\t") for line in lines if line.startswith("triage\t")]
    assert [(x[1], x[3]) for x in rows] == [("urgency", "permutation F1 (decisive)"), ("urgency", "McNemar exact (paper's)")]
    planned = next(t.sizes.test for t in load_study(QUICK, STUDY_FAMILY).tasks if t.task == "triage")
    assert all(x[6] == str(planned) for x in rows)
    r = CliRunner().invoke(app, ["plan", QUICK])
    assert isinstance(r.exception, UserError) and "--assume" in str(r.exception)
