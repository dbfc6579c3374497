"""Runs you can watch: each trained run's curves as TensorBoard event files, and in MLflow.

By default every run of a sweep writes ``DIR/tensorboard/<run key>/`` (e.g.
``tensorboard/uti/sft/lr=0.001``): ``train/loss`` at every optimizer step, ``eval/loss`` at
every eval point, its settings and the study's seed as text, so ``tensorboard --logdir
DIR/tensorboard`` shows one curve per config. The files are written with tensorboardX (numpy
and protobuf only, no TensorFlow) in TensorBoard's own format.

With ``tracking: {mlflow: URI}`` (a local ``file:`` folder or ``sqlite:`` database works
offline; needs ``pip install mlflow-skinny``, or ``mlflow`` for the sqlite store), each run is
also an MLflow run of the experiment named after the study, with its settings as params and
the same metrics. A run continued after an interruption continues its MLflow run (found by
the ``medtune.run_key`` tag) and writes a new event file beside its first one.

Only the main process writes (under several processes every rank trains the same run).
Tracking never changes a result, so ``tracking`` may change between runs of one study.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from medtune.errors import UserError
from medtune.files import PRIVATE_FILE, private_mkdir


def run_settings(key: str, task: str, method: str, role: str, settings: Any, seed: int) -> dict[str, Any]:
    """A run's settings, flat (MLflow params are flat): the training settings, LoRA's under
    ``lora.``, and who it is."""
    flat: dict[str, Any] = {"run_key": key, "task": task, "method": method, "role": role, "seed": seed}
    for name, value in dataclasses.asdict(settings).items():
        if isinstance(value, dict):
            flat.update({f"{name}.{k}": v for k, v in value.items()})
        else:
            flat[name] = value
    return flat


class RunTracker:
    """Where one run's curves go; a no-op when tracking is off or on a non-main process."""

    def __init__(self, tensorboard_dir: Path | None, mlflow_uri: str | None, experiment: str,
                 settings: dict[str, Any]) -> None:
        self._tb = self._mlflow = None
        self._logged_eval: set[int] = set()
        if tensorboard_dir is not None:
            from tensorboardX import SummaryWriter

            self._tb_dir = private_mkdir(tensorboard_dir)
            self._tb = SummaryWriter(logdir=str(tensorboard_dir), flush_secs=30)
            self._tb.add_text("settings", "```\n" + json.dumps(settings, indent=2, default=str) + "\n```", 0)
            self._private()
        if mlflow_uri is not None:
            self._mlflow = _MlflowRun(mlflow_uri, experiment, settings)

    def train_loss(self, step: int, loss: float) -> None:
        if self._tb is not None:
            self._tb.add_scalar("train/loss", loss, step)
        if self._mlflow is not None:
            self._mlflow.metric("train_loss", loss, step)

    def eval_curve(self, points: list[tuple[int, float]]) -> None:
        """Eval-loss points not logged yet (checkpoints report the curve so far)."""
        for step, loss in points:
            if step in self._logged_eval or loss != loss:  # NaN: no eval split
                continue
            self._logged_eval.add(step)
            if self._tb is not None:
                self._tb.add_scalar("eval/loss", loss, step)
            if self._mlflow is not None:
                self._mlflow.metric("eval_loss", loss, step)

    def close(self, finished: bool) -> None:
        if self._tb is not None:
            self._tb.close()
            self._private()
        if self._mlflow is not None:
            self._mlflow.close(finished)

    def _private(self) -> None:
        # tensorboardX creates its files with the process umask; medtune's files are owner-only
        for entry in os.scandir(self._tb_dir):
            if entry.is_file():
                os.chmod(entry.path, PRIVATE_FILE)


class _MlflowRun:
    """One MLflow run through the client API (no global active run, so runs trained side by
    side in one process never mix)."""

    def __init__(self, uri: str, experiment: str, settings: dict[str, Any]) -> None:
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise UserError("tracking.mlflow is set but MLflow is not installed; install it with "
                            "`pip install mlflow-skinny` (or `mlflow` for a sqlite: store), or remove "
                            "tracking.mlflow from the study file") from None
        if uri.startswith("file:"):
            # MLflow 3 keeps its folder store behind an opt-in; naming a file: URI in the study
            # file is that opt-in (it works offline with mlflow-skinny, sqlite: needs mlflow).
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.client = MlflowClient(tracking_uri=uri)
        key = settings["run_key"]
        try:
            exp = self.client.get_experiment_by_name(experiment)
            exp_id = exp.experiment_id if exp is not None else self.client.create_experiment(experiment)
            found = self.client.search_runs([exp_id], filter_string=f"tags.`medtune.run_key` = '{key}'",
                                            max_results=1)
        except Exception as err:  # MlflowException, a missing sqlalchemy for sqlite:, an unreachable server
            raise UserError(f"tracking.mlflow {uri!r}: MLflow cannot use this store ({type(err).__name__}: "
                            f"{str(err)[:200]}); give a file: folder or a sqlite: database (with "
                            "`pip install mlflow`), or remove tracking.mlflow") from None
        if found:
            self.run_id = found[0].info.run_id
            self.client.update_run(self.run_id, status="RUNNING")
        else:
            self.run_id = self.client.create_run(exp_id, run_name=key, tags={"medtune.run_key": key}).info.run_id
            from mlflow.entities import Param

            self.client.log_batch(self.run_id, params=[Param(k, str(v)) for k, v in settings.items()])
        self._pending: list[Any] = []

    def metric(self, name: str, value: float, step: int) -> None:
        import time

        from mlflow.entities import Metric

        self._pending.append(Metric(name, float(value), int(time.time() * 1000), step))
        if len(self._pending) >= 50:  # batched: one store write per 50 points
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self.client.log_batch(self.run_id, metrics=self._pending)
            self._pending = []

    def close(self, finished: bool) -> None:
        self._flush()
        self.client.set_terminated(self.run_id, status="FINISHED" if finished else "KILLED")


def open_tracker(ctx: Any, key: str, task: str, method: str, role: str, settings: Any) -> RunTracker:
    from medtune.study import processes

    tracking = ctx.study.tracking
    if not processes.is_main():  # rank 0 alone reports
        return RunTracker(None, None, "", {})
    flat = run_settings(key, task, method, role, settings, ctx.study.seed)
    return RunTracker(ctx.out_dir / "tensorboard" / key if tracking.tensorboard else None,
                      tracking.mlflow, ctx.study.name, flat)
