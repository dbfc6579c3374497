"""Classification metrics: hand-worked numbers, an independent numpy reference, edge cases."""

import numpy as np
import pytest

from medtune.evaluate.metrics import (
    Counts,
    accuracy,
    binary_counts,
    classification_metrics,
    correct,
    f1,
    sensitivity,
    specificity,
)

Y_TRUE = ["P", "P", "P", "N", "N", "N", "N", "P"]
Y_PRED = ["P", "N", None, "P", "N", "N", None, "P"]


def test_hand_worked_with_parse_failures():
    """Per example (gold/pred): P/P tp, P/N fn, P/None fn, N/P fp, N/N tn, N/N tn, N/None tn,
    P/P tp -> tp=2, fp=1, fn=2, tn=3, parse_failures=2.
    F1 = 2*2 / (2*2 + 1 + 2) = 4/7; sensitivity = 2/4; specificity = 3/4.
    Accuracy: right at positions 0, 4, 5, 7 = 4/8 (the None on a gold N is a TN but is wrong)."""
    assert binary_counts(Y_TRUE, Y_PRED, "P") == Counts(tp=2, fp=1, fn=2, tn=3, parse_failures=2)
    assert f1(Y_TRUE, Y_PRED, "P") == pytest.approx(4 / 7)
    assert sensitivity(Y_TRUE, Y_PRED, "P") == pytest.approx(0.5)
    assert specificity(Y_TRUE, Y_PRED, "P") == pytest.approx(0.75)
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.5)
    assert correct(Y_TRUE, Y_PRED).tolist() == [True, False, False, False, True, True, False, True]
    assert classification_metrics(Y_TRUE, Y_PRED, "P") == pytest.approx(
        {"f1": 4 / 7, "accuracy": 0.5, "sensitivity": 0.5, "specificity": 0.75, "n": 8, "parse_failures": 2}
    )


def test_multiclass_is_one_vs_rest():
    """Gold A,B,C,A; pred A,C,C,B; positive A: tp=1 (pos 0), fn=1 (pos 3), fp=0, tn=2.
    F1 = 2/(2+0+1) = 2/3; accuracy counts exact matches: positions 0, 2 -> 1/2."""
    t, p = ["A", "B", "C", "A"], ["A", "C", "C", "B"]
    assert binary_counts(t, p, "A") == Counts(tp=1, fp=0, fn=1, tn=2)
    assert f1(t, p, "A") == pytest.approx(2 / 3)
    assert accuracy(t, p) == pytest.approx(0.5)


def test_zero_division_is_zero():
    """All gold negative, all predicted negative: tp=fp=fn=0, so F1 = 0/0 -> 0.0 and
    sensitivity = 0/0 -> 0.0 (sklearn zero_division=0); specificity = 3/3 = 1."""
    t, p = ["N"] * 3, ["N"] * 3
    assert f1(t, p, "P") == 0.0
    assert sensitivity(t, p, "P") == 0.0
    assert specificity(t, p, "P") == 1.0
    assert accuracy(t, p) == 1.0
    # all gold positive: specificity has no negatives -> 0.0
    assert specificity(["P", "P"], ["P", "N"], "P") == 0.0
    m = classification_metrics([], [], "P")
    assert m == {"f1": 0.0, "accuracy": 0.0, "sensitivity": 0.0, "specificity": 0.0, "n": 0, "parse_failures": 0}


def test_all_parse_failures():
    """Every prediction None: nothing is correct; gold positives are FNs, negatives TNs."""
    t, p = ["P", "N", "N"], [None, None, None]
    assert binary_counts(t, p, "P") == Counts(tp=0, fp=0, fn=1, tn=2, parse_failures=3)
    assert accuracy(t, p) == 0.0
    assert not correct(t, p).any()


def test_accepts_numpy_object_and_string_arrays():
    t = np.array(Y_TRUE, dtype=object)
    p = np.array(Y_PRED, dtype=object)
    assert f1(t, p, "P") == pytest.approx(4 / 7)
    s = np.array(["P", "N"])  # '<U1' array: np.str_ compares equal to str
    assert accuracy(s, np.array(["P", "P"])) == 0.5


def test_bad_input():
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        f1(["P", "N", "P"], ["P", "N"], "P")
    with pytest.raises(ValueError, match="gold label"):
        accuracy([None, "P"], ["P", "P"])


def test_against_numpy_reference_on_random_data():
    """Reference: precision and recall from boolean masks, F1 as their harmonic mean
    (a different formula from 2TP/(2TP+FP+FN)); sklearn is not a dependency."""
    rng = np.random.default_rng(1)
    labels = np.array(["P", "N", "X", None], dtype=object)
    for _ in range(50):
        n = int(rng.integers(5, 60))
        t = rng.choice(labels[:3], size=n)
        p = rng.choice(labels, size=n, p=[0.4, 0.4, 0.1, 0.1])
        gold_pos = t == "P"
        pred_pos = p == "P"
        tp = np.sum(gold_pos & pred_pos)
        prec = tp / pred_pos.sum() if pred_pos.sum() else 0.0
        rec = tp / gold_pos.sum() if gold_pos.sum() else 0.0
        ref_f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        ref_spec = np.sum(~gold_pos & ~pred_pos) / np.sum(~gold_pos) if np.sum(~gold_pos) else 0.0
        m = classification_metrics(t, p, "P")
        assert m["f1"] == pytest.approx(ref_f1)
        assert m["sensitivity"] == pytest.approx(rec)
        assert m["specificity"] == pytest.approx(ref_spec)
        assert m["accuracy"] == pytest.approx(np.mean([a == b for a, b in zip(t, p)]))
        assert m["parse_failures"] == sum(x is None for x in p)
