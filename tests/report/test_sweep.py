"""The sweep in the report: curves per config with the plateau marked, the table per method,
compute per method; written from results.json keys alone."""

import copy
import json

from test_render import make_results

from medtune.report.render import write_report
from medtune.report.sweep_results import sweep_figure


def _candidate(lr, beta, curve, plateau, dev, selected, found=True):
    return {"key": f"uti/x/lr={lr:g}", "learning_rate": lr, "beta": beta, "steps": curve[-1][0], "curve": curve,
            "plateau_step": plateau, "plateau_found": found, "chosen_step": plateau, "retrained": False,
            "eval_loss": dict(map(tuple, curve))[plateau], "dev_metric": dev, "selected": selected, "seconds": 3.0}


def _with_sweep(results):
    results = copy.deepcopy(results)
    curve_a = [[0, 2.0], [50, 1.2], [100, 1.0], [150, 0.99]]
    curve_b = [[0, 2.0], [50, 1.9], [100, 1.8], [150, 1.7]]
    results["tasks"]["uti"]["sweep"] = {
        "rule": {"smoothing": 1, "window": 1, "tolerance": 0.02, "retrain_at_plateau": False},
        "sft": {"metric": "f1", "winner": "uti/x/lr=1e-05", "candidates": [
            _candidate(1e-5, None, curve_a, 100, 0.91, True), _candidate(1e-6, None, curve_b, 150, 0.62, False, False)]},
        "dpo": {"metric": "f1", "winner": "uti/x/lr=1e-06", "candidates": [
            _candidate(1e-6, 0.1, [[0, 0.69], [50, 0.6]], 50, 0.93, True)]},
    }
    results["compute"]["per_method"] = {
        "sft": {"seconds": 1200.0, "hours": 0.3333, "runs": 2, "steps": 300, "tokens": 90000,
                "seconds_per_step": 4.0, "devices": ["cpu"]},
        "dpo": {"seconds": 3000.0, "hours": 0.8333, "runs": 1, "steps": 150, "tokens": 80000,
                "seconds_per_step": 20.0, "devices": ["cpu"]},
        "eval": {"seconds": 60.0, "hours": 0.0167},
    }
    return results


def test_sweep_figure_marks_plateaus_and_is_deterministic():
    sweep = _with_sweep(make_results())["tasks"]["uti"]["sweep"]
    svg = sweep_figure("uti", sweep)
    assert svg == sweep_figure("uti", sweep)
    assert "SFT sweep" in svg and "DPO sweep" in svg
    assert "lr=1e-05 (winner)" in svg and "lr=1e-06, beta=0.1 (winner)" in svg


def test_report_shows_the_sweep_and_compute_per_method(tmp_path):
    results = _with_sweep(make_results())
    write_report(results, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["tasks"]["uti"]["sweep"] == results["tasks"]["uti"]["sweep"]
    assert (tmp_path / "sweep-uti.svg").exists() and not (tmp_path / "sweep-triage.svg").exists()
    md = (tmp_path / "report.md").read_text()
    assert "![Sweep of uti](sweep-uti.svg)" in md
    assert "SFT sweep (winner: uti/x/lr=1e-05)" in md
    assert "| lr=1e-05 | 150 | 100 | 100 | 1.0000 | 0.910 | yes |" in md
    assert "| lr=1e-06 | 150 | 150 (none: still improving) | 150 | 1.7000 | 0.620 |  |" in md
    assert "| DPO | 1 | 150 | 80000 | 3000.0 | 0.833 | 20.00 | cpu |" in md
    html = (tmp_path / "index.html").read_text()
    assert html.count("<svg") == 2 and "SFT sweep (winner: uti/x/lr=1e-05)" in html
