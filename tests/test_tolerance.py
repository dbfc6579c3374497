"""The cross-process comparison helper: floats within a relative tolerance, the rest exact."""

import math

import pytest
from tolerance import assert_close


def test_floats_within_tolerance_pass_and_beyond_fail():
    assert_close({"a": [(1, 6.0704594)], "b": "done"}, {"a": [(1, 6.0704589)], "b": "done"})
    assert_close([math.nan, 0.0], [math.nan, 1e-9])
    with pytest.raises(AssertionError, match=r"\['a'\]\[0\]\[1\]"):
        assert_close({"a": [(1, 6.08)]}, {"a": [(1, 6.07)]})


def test_everything_but_floats_must_be_equal():
    with pytest.raises(AssertionError):
        assert_close({"status": "running"}, {"status": "done"})
    with pytest.raises(AssertionError):
        assert_close([1, 2], [1, 2, 3])
    with pytest.raises(AssertionError):
        assert_close({"step": 2}, {"step": 3})
    with pytest.raises(AssertionError):
        assert_close({"x": 1.0}, {"y": 1.0})
