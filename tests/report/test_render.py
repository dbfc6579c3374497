"""write_report(), format_p() and the comparison figure, on a realistic results dict."""

from __future__ import annotations

import copy
import json
import re

import pytest

from medtune.report.figures import comparison_figure
from medtune.report.render import format_p, write_report


def _variant(value, ci, per_endpoint, parse_failure_rate=0.0):
    first = next(iter(per_endpoint.values()))
    return {
        "value": value, "ci95": ci, "f1": value,
        "accuracy": first["accuracy"], "accuracy_ci95": first["accuracy_ci95"],
        "sensitivity": first["sensitivity"], "specificity": first["specificity"],
        "parse_failure_rate": parse_failure_rate, "per_endpoint": per_endpoint,
    }


def _endpoint(f1, acc, sens, spec):
    return {"f1": f1, "f1_ci95": [round(f1 - 0.06, 3), round(min(f1 + 0.05, 1.0), 3)],
            "accuracy": acc, "accuracy_ci95": [round(acc - 0.06, 3), round(min(acc + 0.05, 1.0), 3)],
            "sensitivity": sens, "specificity": spec}


def _cmp(a, b, endpoint, a_only, b_only, p, m=9):
    adjusted = min(1.0, p * m)
    return {"a": a, "b": b, "endpoint": endpoint, "test": "mcnemar_exact", "n": 200,
            "a_only": a_only, "b_only": b_only, "p": p, "p_adjusted": adjusted,
            "significant": adjusted < 0.05}


def make_results() -> dict:
    """Numbers shaped like the paper's Llama3 results (Figure 2A, D, E); Bonferroni over the
    9 comparisons (3 for UTI, 6 for triage's two endpoints)."""
    uti = {
        "kind": "classification", "metric": "f1", "n_test": 200, "endpoints": ["uti"],
        "variants": {
            "base": _variant(0.63, [0.56, 0.70], {"uti": _endpoint(0.63, 0.66, 0.58, 0.74)}, 0.02),
            "sft": _variant(0.98, [0.95, 1.0], {"uti": _endpoint(0.98, 0.98, 0.97, 0.99)}),
            "dpo": _variant(0.95, [0.91, 0.98], {"uti": _endpoint(0.95, 0.95, 0.96, 0.94)}),
        },
        "comparisons": [_cmp("base", "sft", "uti", 2, 66, 1e-15), _cmp("sft", "dpo", "uti", 9, 5, 0.42),
                        _cmp("base", "dpo", "uti", 4, 62, 1e-14)],
    }
    tri = {"urgency": [0.81, 0.79, 0.91], "provider": [0.55, 0.58, 0.74]}
    variants = {}
    for i, v in enumerate(("base", "sft", "dpo")):
        per = {ep: _endpoint(f1s[i], f1s[i] + 0.02, f1s[i] - 0.03, f1s[i] + 0.04)
               for ep, f1s in tri.items()}
        value = round((tri["urgency"][i] + tri["provider"][i]) / 2, 4)
        variants[v] = _variant(value, [value - 0.05, value + 0.05], per)
    triage = {
        "kind": "classification", "metric": "f1", "n_test": 200,
        "endpoints": ["urgency", "provider"], "variants": variants,
        "comparisons": [
            _cmp("base", "sft", "urgency", 14, 10, 0.53), _cmp("base", "sft", "provider", 20, 26, 0.15),
            _cmp("sft", "dpo", "urgency", 3, 27, 1e-5), _cmp("sft", "dpo", "provider", 5, 38, 2e-7),
            _cmp("base", "dpo", "urgency", 6, 26, 2e-4), _cmp("base", "dpo", "provider", 8, 44, 1e-7),
        ],
    }
    return {
        "schema": 1,
        "study": {"name": "paper-replication", "model": "SmolLM2-135M-Instruct", "seed": 0,
                  "created": "2025-06-01T12:00:00+00:00", "medtune_version": "0.1.0",
                  "data_hashes": {"uti": "a" * 64, "triage": "b" * 64}},
        "alpha": 0.05, "correction": "bonferroni", "n_comparisons": 9,
        "tasks": {"uti": uti, "triage": triage},
        "compute": {"seconds": {"sft": 1200.0, "dpo": 3000.0, "eval": 300.0}, "dpo_to_sft": 2.5,
                    "per_task": {"uti": {"sft": 500.0, "dpo": 1250.0},
                                 "triage": {"sft": 700.0, "dpo": 1750.0}}},
    }


def make_results_with_recommendations() -> dict:
    r = make_results()
    r["tasks"]["uti"].update(deploy="sft", recommendation="Deploy SFT: it beat base.")
    r["tasks"]["triage"].update(deploy="dpo", recommendation="Deploy DPO: it beat SFT.")
    return r


def without_dpo(results: dict) -> dict:
    r = copy.deepcopy(results)
    for task in r["tasks"].values():
        task["variants"].pop("dpo")
        task["comparisons"] = [c for c in task["comparisons"] if "dpo" not in (c["a"], c["b"])]
    r["compute"] = {"seconds": {"sft": 1200.0, "eval": 200.0}, "dpo_to_sft": None, "per_task": {}}
    return r


def test_results_json_round_trips(tmp_path):
    results = make_results_with_recommendations()
    index = write_report(results, tmp_path / "report")
    assert index == tmp_path / "report" / "index.html"
    assert json.loads((tmp_path / "report" / "results.json").read_text()) == results
    assert not list((tmp_path / "report").glob(".*tmp"))  # atomic writes left nothing behind


def test_contract_keys_present_and_recommendation_filled(tmp_path):
    results = make_results()
    before = copy.deepcopy(results)
    write_report(results, tmp_path)
    assert results == before  # the caller's dict is not changed
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["schema"] == 1
    for key in ("name", "model", "seed", "created", "medtune_version", "data_hashes"):
        assert key in saved["study"]
    for key in ("alpha", "correction", "n_comparisons", "tasks", "compute"):
        assert key in saved
    for task in saved["tasks"].values():
        for key in ("kind", "metric", "n_test", "endpoints", "variants", "comparisons",
                    "recommendation", "deploy"):
            assert key in task
        for variant in task["variants"].values():
            assert {"value", "ci95", "accuracy", "sensitivity", "specificity",
                    "parse_failure_rate", "per_endpoint"} <= variant.keys()
        for c in task["comparisons"]:
            assert {"a", "b", "endpoint", "test", "p", "p_adjusted", "significant"} <= c.keys()
    assert {"seconds", "dpo_to_sft"} <= saved["compute"].keys()
    assert saved["tasks"]["uti"]["deploy"] == "sft"
    assert saved["tasks"]["triage"]["deploy"] == "dpo"
    assert "2.5x" in saved["tasks"]["uti"]["recommendation"]


def test_html_is_self_contained_and_has_the_figure(tmp_path):
    html = write_report(make_results(), tmp_path).read_text()
    assert 'src="http' not in html and 'href="http' not in html
    assert "http://" not in html and "https://" not in html and "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(?!#)", html)  # only in-page url(#clip) references
    assert "<svg" in html and "</svg>" in html and "<?xml" not in html
    for title in ("A. uti (F1)", "B. triage: urgency (F1)", "C. triage: provider (F1)"):
        assert title in html
    assert "<style>" in html and "<link" not in html and "<script" not in html


def test_markdown_has_the_tables(tmp_path):
    write_report(make_results(), tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert md.startswith("# medtune report: paper-replication")
    assert "| Variant | F1 | 95% CI | Accuracy | Sensitivity | Specificity | Parse failures |" in md
    assert "| base | 0.63 | 0.56–0.70 | 0.66 | 0.58 | 0.74 | 2.0% |" in md
    assert "| SFT vs base | uti (F1) | McNemar (exact) | yes | 200 | – | – | 2 / 66 | p<.001 | p<.001 | significant |" in md
    assert "| DPO vs SFT | uti (F1) | McNemar (exact) | yes | 200 | – | – | 9 / 5 | p=.42 | p>.99 | n.s. (inconclusive) |" in md
    assert "DPO/SFT compute ratio: 2.5x" in md
    assert "**Recommendation:** Deploy SFT" in md


def test_task_name_is_escaped(tmp_path):
    results = make_results()
    results["tasks"]["<script>alert(1)</script>"] = results["tasks"].pop("triage")
    html = write_report(results, tmp_path).read_text()
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in (tmp_path / "report.md").read_text()


def test_study_without_dpo(tmp_path):
    results = without_dpo(make_results())
    html = write_report(results, tmp_path).read_text()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["tasks"]["uti"]["deploy"] == "sft"
    assert saved["tasks"]["triage"]["deploy"] == "base"
    assert "DPO" not in saved["tasks"]["uti"]["recommendation"]
    assert "vs SFT:" not in comparison_figure(results)  # no DPO bar, so no DPO vs SFT p-value
    assert "A. uti (F1)" in html


def test_figure_is_deterministic(tmp_path):
    results = make_results()
    svg = comparison_figure(results)
    assert svg == comparison_figure(copy.deepcopy(results))
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<dc:date>" not in svg and "matplotlib.org" not in svg
    # significant p-values are bold with an asterisk, others are not
    assert re.search(r"font-weight: ?(bold|700)[^>]*>vs base: p&lt;\.001\*<", svg)
    assert "vs SFT: p&gt;.99<" in svg
    write_report(results, tmp_path / "one")
    write_report(results, tmp_path / "two")
    for name in ("results.json", "report.md", "index.html", "figure.svg"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_missing_contract_key_is_named(tmp_path):
    results = make_results()
    del results["tasks"]["uti"]["n_test"]
    del results["tasks"]["triage"]["variants"]["sft"]["value"]
    with pytest.raises(ValueError, match=r"tasks\.uti\.n_test.*tasks\.triage\.variants\.sft\.value"):
        write_report(results, tmp_path)


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0, "p<.001"), (0.0004, "p<.001"), (0.001, "p=.001"), (0.003, "p=.003"),
     (0.0123, "p=.01"), (0.03, "p=.03"), (0.05, "p=.05"), (0.55, "p=.55"), (0.99, "p=.99"),
     (0.995, "p>.99"), (0.999, "p>.99"), (1.0, "p>.99"), (None, "p=n/a"),
     (float("nan"), "p=n/a")],
)
def test_format_p(p, text):
    assert format_p(p) == text


def test_format_p_rejects_out_of_range():
    with pytest.raises(ValueError, match="p-value"):
        format_p(1.5)


def test_report_files_are_owner_only_and_a_shared_report_stays_shared(tmp_path):
    """Reports quote model outputs (patient text): 0600 in a 0700 folder by default. To share
    one, chmod it once; a later render keeps the mode of every file it replaces."""
    import os
    import stat

    results = make_results_with_recommendations()
    old = os.umask(0o022)
    try:
        write_report(results, tmp_path / "report")
        assert stat.S_IMODE((tmp_path / "report").stat().st_mode) == 0o700
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "report").iterdir()}
        assert set(modes.values()) == {0o600}, modes
        os.chmod(tmp_path / "report" / "index.html", 0o644)
        write_report(results, tmp_path / "report")
        assert stat.S_IMODE((tmp_path / "report" / "index.html").stat().st_mode) == 0o644
    finally:
        os.umask(old)
