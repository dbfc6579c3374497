"""``medtune compare`` on prediction files: the issue's reproduction is not called a win, a
clear win is, bad files exit 2 naming the file and line."""

from __future__ import annotations

import json

import pytest
from statsmodels.stats.contingency_tables import mcnemar

from medtune.cli import _register, app
from medtune.tasks import get_task


def _run(args):
    """The CLI as `medtune` runs it: a UserError exits 2 with its message (cli.main)."""
    from typer.testing import CliRunner

    from medtune.errors import UserError

    _register()
    r = CliRunner().invoke(app, args)
    if isinstance(r.exception, UserError):
        return type("Result", (), {"exit_code": 2, "output": r.output + str(r.exception)})()
    return r


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _uti_test_file(tmp_path, n=200, positives=40):
    task = get_task("uti")
    gold = ["yes"] * positives + ["no"] * (n - positives)
    rows = [{"id": f"t{i:03d}", "prompt": f"Urinalysis note {i}.", "chosen": task.answer(g), "label": g,
             "split": "test"} for i, g in enumerate(gold)]
    return _write(tmp_path / "test.jsonl", rows), gold


def _preds(tmp_path, name, labels):
    return _write(tmp_path / f"{name}.jsonl", [{"id": f"t{i:03d}", "prediction": p} for i, p in enumerate(labels)])


def test_reproduction_sft_is_not_called_better(tmp_path):
    """200 examples, 40 gold yes. base: yes on 10 positives only (F1 .40, accuracy .85). SFT:
    yes on 38 positives and 70 negatives (F1 76/148 = .51, accuracy .64). SFT's F1 is higher
    but not significantly (permutation p ~ .2, interval of the difference spans 0), and its
    accuracy is significantly LOWER (McNemar 70 vs 28 discordant, statsmodels p < .001): the
    old rule said "Deploy SFT: it beat base significantly". Now: base, inconclusive."""
    test, gold = _uti_test_file(tmp_path)
    base = ["yes"] * 10 + ["no"] * 190
    sft = ["yes"] * 38 + ["no"] * 2 + ["yes"] * 70 + ["no"] * 90
    out = tmp_path / "out"
    r = _run(["compare", "--test", str(test), "--task", "uti", "--predictions",  # as the issue writes it
              f"base={_preds(tmp_path, 'base', base)}", f"sft={_preds(tmp_path, 'sft', sft)}", "--out", str(out)])
    assert r.exit_code == 0, r.output
    results = json.loads((out / "results.json").read_text())
    t = results["tasks"]["uti"]
    assert t["deploy"] == "base" and "Deploy SFT" not in t["recommendation"]
    assert t["variants"]["base"]["value"] == pytest.approx(0.40)
    assert t["variants"]["sft"]["value"] == pytest.approx(76 / 148)
    f1, mc = t["comparisons"]
    assert (f1["test"], f1["primary"], f1["verdict"]) == ("permutation_f1", True, "n.s.")
    assert f1["effect"] == pytest.approx(76 / 148 - 0.40) and f1["effect_ci95"][0] < 0 < f1["effect_ci95"][1]
    assert f1["mde"] > abs(f1["effect"])
    table = [[160 - 70 - 0, 70], [28, 2]]  # rows base right/wrong, cols sft right/wrong... by counts
    assert (mc["a_only"], mc["b_only"]) == (70, 28)
    assert mc["p"] == pytest.approx(mcnemar([[90, 70], [28, 12]], exact=True).pvalue) and mc["p"] < 0.001
    assert mc["secondary"] and not mc["primary"] and table
    assert results["family"] == "study" and results["n_comparisons"] == 1
    assert "n.s. (adjusted p=" in t["recommendation"] and "inconclusive" in t["recommendation"]
    md = (out / "report.md").read_text()
    assert "family study: m = 1 primary comparison," in md and "Decisive test: paired permutation test of the F1 difference" in md and "Detectable (80% power)" in md


def test_clear_win_is_called_a_win(tmp_path):
    test, gold = _uti_test_file(tmp_path)
    base = ["no"] * 200
    sft = ["yes"] * 36 + ["no"] * 4 + ["no"] * 155 + ["yes"] * 5
    out = tmp_path / "out"
    r = _run(["compare", "--test", str(test), "--task", "uti", "--predictions",
              f"base={_preds(tmp_path, 'base', base)}", "--predictions", f"sft={_preds(tmp_path, 'sft', sft)}",
              "--out", str(out), "--family", "paper"])  # the option repeated
    assert r.exit_code == 0, r.output
    t = json.loads((out / "results.json").read_text())["tasks"]["uti"]
    assert t["deploy"] == "sft" and t["recommendation"].startswith("Deploy SFT: it beat base significantly")
    assert "F1 0.89 vs 0.00 (difference +0.89" in t["recommendation"]
    assert "family paper: m = 1 task (the paper's rule)" in t["recommendation"]


def test_free_text_predictions_are_parsed_and_bad_files_exit_2(tmp_path):
    test, gold = _uti_test_file(tmp_path, n=20, positives=5)
    text = _preds(tmp_path, "base", ["Yes, this is a UTI." if g == "yes" else "no" for g in gold])
    bad = _write(tmp_path / "bad.jsonl", [{"id": "t000", "prediction": "yes"}, {"id": "t000", "prediction": "no"},
                                          {"id": "zzz", "prediction": "no"}, {"prediction": "no"},
                                          {"id": "t002", "prediction": 3}])
    r = _run(["compare", "--test", str(test), "--task", "uti", "--predictions", f"base={text}",
              "--predictions", f"sft={bad}", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    for needle in (f"{bad}:2: id 't000' repeats line 1", f"{bad}:3: id 'zzz' is not in the test file",
                   f"{bad}:4: id: missing", f"{bad}:5: prediction:", "no prediction for 18 test example(s)"):
        assert needle in r.output, r.output
    r = _run(["compare", "--test", str(test), "--task", "uti", "--predictions", f"base={text}",
              "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "at least two variants" in r.output


def test_open_ended_predictions_are_scored_by_the_task(tmp_path):
    """reasoning: the prediction is the answer text; SFT answers right on 12 of 12, base on
    none: 12 discordant pairs, exact McNemar p = 2 / 2^12 (the decisive test of a 0/1 outcome)."""
    task = get_task("reasoning")
    examples = task.generate(12, seed=4)
    test = _write(tmp_path / "test.jsonl", [{"id": e.id, "prompt": e.prompt, "chosen": e.chosen,
                                             "meta": e.meta, "split": "test"} for e in examples])
    base = _write(tmp_path / "b.jsonl", [{"id": e.id, "prediction": "I am not sure."} for e in examples])
    sft = _write(tmp_path / "s.jsonl", [{"id": e.id, "prediction": e.chosen} for e in examples])
    out = tmp_path / "out"
    r = _run(["compare", "--test", str(test), "--task", "reasoning", "--predictions", f"base={base}",
              f"sft={sft}", "--out", str(out)])
    assert r.exit_code == 0, r.output
    t = json.loads((out / "results.json").read_text())["tasks"]["reasoning"]
    [c] = t["comparisons"]
    assert (c["test"], c["a_only"], c["b_only"], c["primary"]) == ("mcnemar_exact", 0, 12, True)
    assert c["p"] == pytest.approx(2 / 2 ** 12) and t["deploy"] == "sft"
