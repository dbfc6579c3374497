"""A study.db with test predictions for an open-QA task, built with the Store API (no model)."""

from __future__ import annotations

import re

import pytest

from medtune.store import Store

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


@pytest.fixture()
def make_study(tmp_path):
    """``make_study(name, n)``: a further study directory with ``n`` examples."""
    def make(name: str, n: int = 4):
        path = tmp_path / name
        path.mkdir()
        build_study(path, n)
        return path
    return make


def _sign_in(app, token, client=None):
    """Open the personal link, then press the confirmation page's button (a POST carrying the
    page's nonce). Returns the signed-in TestClient."""
    from fastapi.testclient import TestClient

    client = client or TestClient(app)
    page = client.get(f"/login?token={token}")
    assert page.status_code == 200, page.text
    nonce = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    resp = client.post("/login", data={"token": token, "csrf": nonce}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    return client


@pytest.fixture()
def sign_in():
    return _sign_in
