"""Models from the Hub through huggingface_hub's cache, offline: a fake cache folder in the
hub's own layout (models--org--name/refs/main, snapshots/<commit>/...) with HF_HUB_OFFLINE=1.
The commit a study ran on is pinned into study.db; what to do is said when the model is not
cached, gated, or has no chat template."""

from __future__ import annotations

import json
import shutil

import pytest

from medtune.errors import UserError
from medtune.models import load_model
from medtune.models.hub import pinned_revision, snapshot
from medtune.store import Store

COMMIT_A, COMMIT_B = "a" * 40, "b" * 40


@pytest.fixture()
def hub(tmp_path, monkeypatch, tiny_model_dir):
    """A hub cache holding org/tiny at two commits (refs/main -> A) and org/raw (no chat
    template) at A; offline."""
    from huggingface_hub import constants

    cache = tmp_path / "hf" / "hub"
    for repo, commits in (("org--tiny", (COMMIT_A, COMMIT_B)), ("org--raw", (COMMIT_A,))):
        folder = cache / f"models--{repo}"
        for commit in commits:
            shutil.copytree(tiny_model_dir, folder / "snapshots" / commit)
        (folder / "refs").mkdir()
        (folder / "refs" / "main").write_text(COMMIT_A)
    raw = cache / "models--org--raw" / "snapshots" / COMMIT_A
    config = json.loads((raw / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (raw / "tokenizer_config.json").write_text(json.dumps(config))
    (raw / "chat_template.jinja").unlink(missing_ok=True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def test_hub_model_loads_from_the_cache_offline(hub):
    loaded = load_model("org/tiny")
    assert loaded.path == hub / "models--org--tiny" / "snapshots" / COMMIT_A
    assert loaded.tokenizer.chat_template
    assert load_model("org/tiny", revision=COMMIT_B).path.name == COMMIT_B


def test_revision_is_pinned_in_study_db(hub, tmp_path):
    store = Store(tmp_path / "study.db")
    assert pinned_revision(store, "org/tiny", None) == COMMIT_A
    (hub / "models--org--tiny" / "refs" / "main").write_text(COMMIT_B)  # main moves on
    assert pinned_revision(store, "org/tiny", None) == COMMIT_A  # the study keeps its commit
    assert store.meta("model_revision") == {"model": "org/tiny", "requested": None, "commit": COMMIT_A}
    assert pinned_revision(store, "smollm2-135m-instruct", None) is None  # bundled: nothing to pin
    store.close()


def test_study_on_a_hub_model_records_its_commit(hub, tmp_path):
    from medtune.config import parse_study
    from medtune.runner import run_study

    study = parse_study({
        "name": "hub", "model": "org/tiny", "revision": "main",
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 20}}, "sizes": {"train": 8, "eval": 2, "dev": 2, "test": 4}}],
        "training": {"batch_size": 4, "pack_tokens": 256},
        "sft": {"learning_rates": [1e-3], "steps": 1, "eval_every": 1},
        "dpo": {"enabled": False, "learning_rates": [1e-3], "steps": 1},
        "statistics": {"bootstrap": 100}, "tracking": {"tensorboard": False},
    }, "test")
    outcome = run_study(study, tmp_path / "study")
    assert outcome.results["study"]["model_revision"] == COMMIT_A


def test_not_in_cache_offline_says_what_to_do(hub):
    with pytest.raises(UserError) as err:
        snapshot("org/missing", "v1")
    msg = str(err.value)
    assert "HF_HUB_OFFLINE=1" in msg and "hf download org/missing --revision v1" in msg and str(hub) in msg


def test_gated_without_token_says_what_to_do(hub, monkeypatch):
    """A loopback server answers like the Hub does for a gated model asked without a token
    (HTTP 401, X-Error-Code: GatedRepo); huggingface_hub's own error handling reads it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from huggingface_hub import constants

    paths = []

    class Gated(BaseHTTPRequestHandler):
        def do_GET(self):
            paths.append(self.path)
            self.send_response(401)
            self.send_header("X-Error-Code", "GatedRepo")
            self.send_header("X-Error-Message", "Access to model org/gated is restricted.")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gated)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    try:
        with pytest.raises(UserError, match="gated.*HF_TOKEN"):
            snapshot("org/gated")
    finally:
        server.shutdown()
        server.server_close()
    assert any(p.startswith("/api/models/org/gated") for p in paths)


def test_no_chat_template_exits_2_unless_the_study_names_one(hub):
    with pytest.raises(UserError, match="chat_template:"):
        load_model("org/raw")
    template = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
    loaded = load_model("org/raw", chat_template=template)
    assert loaded.tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True,
                                                tokenize=False) == "<user>hi\n<assistant>"
