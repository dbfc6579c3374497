"""The plateau rule on hand-made curves (steps every 10; the arithmetic is in each docstring)."""

import math
import random

import pytest

from medtune.study.plateau import PlateauRule, find_plateau, smooth, steps_to_keep


def _curve(losses, every=10):
    return [(i * every, v) for i, v in enumerate(losses)]


def test_flattening_curve():
    """window 2, tolerance 1%: step 10: 1.5 - min(1.2, 1.0) = .5 > .015; step 20: 1.2 - 1.0 =
    .2; step 30: 1.0 - min(.99, .985) = .015 > .010; step 40: .99 - .984 = .006 <= .0099."""
    p = find_plateau(_curve([2.0, 1.5, 1.2, 1.0, 0.99, 0.985, 0.984, 0.984]), PlateauRule(window=2, tolerance=0.01))
    assert (p.step, p.found) == (40, True)


def test_overfitting_curve_stops_at_the_minimum():
    """tolerance 0: step 10: 1.0 - min(.8, .9) = .2 > 0; step 20: .8 - min(.9, 1.1) = -.1 <= 0."""
    p = find_plateau(_curve([2.0, 1.0, 0.8, 0.9, 1.1, 1.3]), PlateauRule(window=2, tolerance=0.0))
    assert p.step == 20 and p.found


def test_still_improving_uses_the_last_step():
    """Every point is followed by a drop of more than 1%: the last point (step 40) is chosen,
    and found=False says the budget ended first."""
    p = find_plateau(_curve([3.0, 2.0, 1.5, 1.2, 1.0]), PlateauRule(window=3, tolerance=0.01))
    assert (p.step, p.found) == (40, False)


def test_window_cut_short_at_the_end():
    """window 3, tolerance 5%: step 10: 1.0 - .49 = .51 > .05; step 20 has only one later
    point: .5 - .49 = .01 <= .025, flat."""
    p = find_plateau(_curve([2.0, 1.0, 0.5, 0.49]), PlateauRule(window=3, tolerance=0.05))
    assert (p.step, p.found) == (20, True)


def test_smoothing_ignores_noise():
    """Unsmoothed, window 1, the noisy rise at step 20 (1.0 -> 1.2) looks flat at step 10.
    Smoothed over 2 points: s = 2.0, 1.5, 1.1, 1.05, 1.0, .975, .925, .92 (tolerance 2%):
    drops .4, .05 (> .022), .05, .025 (> .020), .05, then .925 - .92 = .005 <= .0185 at step 60."""
    losses = [2.0, 1.0, 1.2, 0.9, 1.1, 0.85, 1.0, 0.84]
    assert smooth(losses, 2) == pytest.approx([2.0, 1.5, 1.1, 1.05, 1.0, 0.975, 0.925, 0.92])
    assert find_plateau(_curve(losses), PlateauRule(smoothing=1, window=1, tolerance=0.02)).step == 10
    assert find_plateau(_curve(losses), PlateauRule(smoothing=2, window=1, tolerance=0.02)).step == 60


def test_step_zero_is_never_chosen():
    """A learning rate too small to move the loss: flat from the start, but step 0 is the
    starting model, so the first trained point is chosen."""
    p = find_plateau(_curve([1.0, 1.0, 1.0, 1.0]), PlateauRule(window=2))
    assert p.step == 10


def test_no_eval_losses_uses_the_last_step():
    p = find_plateau(_curve([math.nan] * 4), PlateauRule())
    assert (p.step, p.found) == (30, False)
    assert steps_to_keep(_curve([math.nan] * 3), PlateauRule()) == {20}


def test_invalid_rule():
    with pytest.raises(ValueError):
        PlateauRule(window=0)


def test_steps_to_keep_settles():
    """window 2: once step 40 is settled flat (two later points), only it is kept."""
    rule = PlateauRule(window=2, tolerance=0.01)
    losses = [2.0, 1.5, 1.2, 1.0, 0.99, 0.985, 0.984, 0.984]
    assert steps_to_keep(_curve(losses[:3]), rule) == {10, 20}  # nothing settled yet
    assert steps_to_keep(_curve(losses[:5]), rule) == {30, 40}  # 10 and 20 settled as not flat
    assert steps_to_keep(_curve(losses[:6]), rule) == {40, 50}
    assert steps_to_keep(_curve(losses[:7]), rule) == {40}
    assert steps_to_keep(_curve(losses), rule) == {40}


def test_kept_steps_always_hold_the_final_plateau():
    """Pruning by steps_to_keep while a curve grows never deletes the checkpoint the finished
    curve's plateau picks (random noisy curves, several rules)."""
    rng = random.Random(0)
    for trial in range(300):
        n = rng.randint(2, 14)
        losses = [2.0]
        for _ in range(n - 1):
            losses.append(max(0.1, losses[-1] * rng.uniform(0.8, 1.1)))
        rule = PlateauRule(smoothing=rng.randint(1, 3), window=rng.randint(1, 4), tolerance=rng.choice([0, 0.01, 0.05]))
        final = find_plateau(_curve(losses), rule).step
        alive: set[int] = set()  # steps whose checkpoint exists; a deleted one never comes back
        for k in range(2, n + 1):
            alive = (alive | {(k - 1) * 10}) & steps_to_keep(_curve(losses[:k]), rule)
        assert final in alive, (trial, losses, rule)
