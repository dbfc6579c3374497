"""Dev selection: the task's metric first, then eval loss, then fewer steps, then grid order."""

import math

from medtune.study.sweep import Candidate, choose


def _c(order, dev, loss, step):
    return Candidate(key=f"k{order}", order=order, run_id=order, model_run=order, step=step, eval_loss=loss,
                     dev_metric=dev)


def test_highest_dev_metric_wins():
    assert choose([_c(0, 0.5, 0.1, 10), _c(1, 0.8, 0.9, 90)]).order == 1


def test_ties_go_to_lower_eval_loss_then_fewer_steps_then_grid_order():
    assert choose([_c(0, 0.8, 0.5, 10), _c(1, 0.8, 0.4, 90)]).order == 1
    assert choose([_c(0, 0.8, 0.4, 90), _c(1, 0.8, 0.4, 30)]).order == 1
    assert choose([_c(0, 0.8, 0.4, 30), _c(1, 0.8, 0.4, 30)]).order == 0


def test_missing_values_rank_last():
    assert choose([_c(0, None, 0.1, 10), _c(1, 0.0, 0.9, 10)]).order == 1  # no dev split scored
    assert choose([_c(0, math.nan, 0.1, 10), _c(1, 0.2, 0.9, 10)]).order == 1
    assert choose([_c(0, 0.5, math.nan, 10), _c(1, 0.5, 0.9, 10)]).order == 1  # no eval split
