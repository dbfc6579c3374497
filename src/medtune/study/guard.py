"""One study directory, one study: a rerun continues it, a different study is refused.

The first run records the resolved study file and the data hashes in study.db (``meta``).
A later run on the same directory must agree on everything that produced a stored run, a
checkpoint or a prediction; otherwise results of two studies would be mixed. What may change
between runs (``MAY_CHANGE``) is what is computed from stored results without re-running a
model:
- ``name``: the report's title;
- ``statistics``: tests, intervals and corrections are recomputed from stored predictions;
- ``judges``: judge verdicts are cached by their input, a changed jury judges again;
- ``baselines``: served models' replies are cached by their input, a changed one asks again;
- ``tracking``: where curves are shown (TensorBoard, MLflow), not what they are;
- ``compute``: the process count and the parallel strategy change results by float rounding
  only (a run checkpointed under 1 process may continue under 4).
Everything else (model, data, seed, training, sweep grids and budgets, selection rule,
evaluation) is refused, naming every key that changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medtune.config import Study
from medtune.errors import UserError
from medtune.store import Store

MAY_CHANGE = ("name", "statistics", "judges", "compute", "baselines", "tracking")


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys -> leaf values; a list of mappings (tasks) is indexed, other lists are leaves."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: value}


def identity(study: Study) -> dict[str, Any]:
    """The settings a study directory is bound to (everything but ``MAY_CHANGE``)."""
    raw = study.model_dump(mode="json")
    return {k: v for k, v in _flatten(raw).items() if k.split(".")[0] not in MAY_CHANGE}


_ABSENT = object()


def _show(value: Any) -> str:
    return "(absent)" if value is _ABSENT else json.dumps(value)


def _same(was: Any, now: Any) -> bool:
    """Equal, or a key a newer medtune added (absent before) left at None: a directory of an
    older medtune continues as long as the new setting is not used."""
    return was == now or (was is _ABSENT and now is None) or (was is None and now is _ABSENT)


def _arithmetic(settings: dict[str, Any]) -> dict[str, Any]:
    """``training.dtype`` and ``training.mixed_precision`` compared by what they compute in on
    this machine: a directory made when the default was ``float32`` continues under today's
    ``auto`` where auto means fp32, and is refused (naming training.dtype) where auto means bf16,
    because its runs were computed in fp32."""
    from medtune.train.precision import label

    out = dict(settings)
    mixed = out.pop("training.mixed_precision", "no")
    out["training.dtype"] = label(out.get("training.dtype", "float32"), mixed)
    return out


def check_study_dir(store: Store, study: Study, data_hashes: dict[str, str], out_dir: Path) -> None:
    """Record the study on a new directory; refuse a different study on a used one. Either way
    record what its training computes in on this machine (``meta.dtype``, train/precision.py):
    the report says so for a study that has no run yet, and the report never imports train/."""
    _check(store, study, data_hashes, out_dir)
    from medtune.train.precision import label

    store.set_meta({"dtype": label(study.training.dtype, study.training.mixed_precision)})


def _check(store: Store, study: Study, data_hashes: dict[str, str], out_dir: Path) -> None:
    mine = identity(study)
    stored, hashes = store.meta("study_config"), store.meta("data_hashes")
    if stored is not None:
        mine, stored = _arithmetic(mine), _arithmetic(stored)
    if stored is None:
        if store.runs():
            raise UserError(
                f"{out_dir}: this study directory was written by an older medtune that did not record "
                "its study; run with a new --out directory, or delete this one to start over"
            )
        store.set_meta({"study_config": mine, "data_hashes": data_hashes})
        return
    changed = [
        f"{k}: was {_show(stored.get(k, _ABSENT))}, now {_show(mine.get(k, _ABSENT))}"
        for k in sorted(set(stored) | set(mine))
        if not _same(stored.get(k, _ABSENT), mine.get(k, _ABSENT))
    ]
    changed += [
        f"data of task {t}: hash was {hashes.get(t, '(absent)')[:12]}, now {data_hashes.get(t, '(absent)')[:12]}"
        for t in sorted(set(hashes) | set(data_hashes))
        if hashes.get(t) != data_hashes.get(t) and t in data_hashes and t in hashes
    ]
    if changed:
        raise UserError(
            f"{out_dir}: this study directory holds a different study ({len(changed)} change(s) below); "
            "its runs and predictions would be mixed with this one's. Run with a new --out directory, "
            f"or delete {out_dir} to start this study over. (Only {', '.join(MAY_CHANGE)} may change "
            "between runs of one study directory.)",
            problems=changed,
        )
