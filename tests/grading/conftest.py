"""A study.db with test predictions for an open-QA task, built with the Store API (no model)."""

from __future__ import annotations

import pytest

from medtune.study.store import Store

PATIENT = "Mrs Zelda Quorvik, 71, dyspnea"  # a marker of patient text: must never reach a log


def build_study(study_dir, n: int = 4) -> None:
    store = Store(study_dir / "study.db")
    store.save_prompts("medqa", {f"q{i}": f"{PATIENT} case {i}: what next?" for i in range(n)})
    for variant in ("base", "sft"):
        store.save_predictions("medqa", variant, "test", [
            {"example_id": f"q{i}", "gold": f"gold answer {i}", "predicted": None,
             "text": f"<b>{variant}</b> answer {i}"} for i in range(n)])
    store.close()


@pytest.fixture()
def patient():
    return PATIENT


@pytest.fixture()
def study_dir(tmp_path):
    build_study(tmp_path)
    return tmp_path


@pytest.fixture()
def store(study_dir):
    s = Store(study_dir / "study.db")
    yield s
    s.close()
