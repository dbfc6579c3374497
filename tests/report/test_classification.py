"""Classification entries of results.json: the headline F1 as the paper reports it."""

import pytest
from sklearn.metrics import f1_score

from medtune.report.classification import comparisons, variant_summary
from medtune.tasks import get_task


def _rows(gold, pred):
    return [{"example_id": f"e{i:02d}", "gold": g, "predicted": p} for i, (g, p) in enumerate(zip(gold, pred))]


def test_multiclass_headline_is_macro_f1_with_the_positive_class_beside_it():
    task = get_task("hyponatremia")
    labels = list(task.endpoints[0].labels)
    positive = task.endpoints[0].positive
    gold = [labels[i % len(labels)] for i in range(24)]
    pred = [labels[(i + (i % 3 == 0)) % len(labels)] for i in range(23)] + [None]
    s = variant_summary(task, _rows(gold, pred), n_boot=200, seed=0)
    e = s["per_endpoint"]["category"]
    safe = [p or "unparsed" for p in pred]
    assert e["f1"] == s["value"] == pytest.approx(f1_score(gold, safe, labels=labels, average="macro", zero_division=0))
    assert e["f1_positive"] == pytest.approx(f1_score(gold, safe, labels=[positive], average="macro", zero_division=0))
    assert e["f1_average"] == "macro"


def test_triage_axes_each_get_a_decisive_test_and_mcnemar_beside_it():
    task = get_task("triage")
    gold = [{"urgency": u, "provider": p} for u in ("urgent", "non-urgent") for p in ("physician", "medical assistant")] * 5
    flipped = [{"urgency": g["urgency"], "provider": "physician"} for g in gold]
    out = comparisons(task, "base", "sft", _rows(gold, flipped), _rows(gold, gold), n_boot=100, n_perm=999,
                      seed=0, alpha=0.05)
    assert [(c["endpoint"], c["test"], c.get("secondary", False)) for c in out] == [
        ("urgency", "permutation_f1", False), ("urgency", "mcnemar_exact", True),
        ("provider", "permutation_f1", False), ("provider", "mcnemar_exact", True)]
    urgency, _, provider, _ = out
    assert urgency["note"] == "too few items to test" and urgency["discordant"] == 0  # identical on urgency
    assert provider["discordant"] == 10 and provider["effect"] == pytest.approx(1 - 20 / 30)
