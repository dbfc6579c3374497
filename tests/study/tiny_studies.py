"""The study files of the study tests, on the tiny model (tests/conftest.py): what they share
(batch size, packing, a short bootstrap) written once, what each test varies passed in."""

from __future__ import annotations

from typing import Any

from medtune.config import Study, parse_study


def synthetic(task: str, n: int, train: int, eval: int, dev: int, test: int) -> dict[str, Any]:
    """A task entry on the task's own synthetic data."""
    return {"task": task, "data": {"synthetic": {"n": n}},
            "sizes": {"train": train, "eval": eval, "dev": dev, "test": test}}


def tiny_study(model_dir: Any, **sections: Any) -> Study:
    """``sections``: top-level keys of the study file (``name``, ``tasks``, ``sft``, ``dpo``,
    ...), each replacing the shared one whole."""
    raw = {
        "seed": 0, "model": str(model_dir),
        "training": {"batch_size": 4, "pack_tokens": 256},
        "statistics": {"bootstrap": 100},
    }
    raw.update(sections)
    return parse_study(raw, "test")
