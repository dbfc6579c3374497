"""Shared fixtures. Every test runs with MEDTUNE_HOME (the model cache) and HOME in tmp, and
offline: nothing here may reach a network."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# A ChatML template like SmolLM2's, so the tiny model formats prompts the way the bundled one does.
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] "
    "+ '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """The unit tier's models are tiny: one thread avoids thread-pool overhead and contention
    on this 2-core machine (measured 5x faster on tests/train/test_trl_reference.py)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True, scope="session")
def _session_home(tmp_path_factory):
    """Module- and session-scoped fixtures (a study run once for a module's tests) start before
    any test's own home: they get a home in tmp too, never the user's ~/.cache/medtune."""
    patch = pytest.MonkeyPatch()
    patch.setenv("MEDTUNE_HOME", str(tmp_path_factory.mktemp("medtune-session-home")))
    patch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf-home")))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("medtune-home")
    monkeypatch.setenv("MEDTUNE_HOME", str(home))


def build_tiny_model(path, seed: int = 0, tie_word_embeddings: bool = True) -> None:
    """A 2-layer, hidden-64 llama with a byte-level BPE tokenizer trained on task text.

    With tied embeddings a random model's greedy continuation repeats the prompt's last token
    (a newline after the chat template's assistant header), so it generates blank answers;
    untied, it babbles non-blank text, which tests of generated answers need."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from medtune.tasks import get_task

    corpus = []
    for name in ("uti", "triage"):
        task = get_task(name)
        for ex in task.generate(60, seed):
            corpus += [ex.prompt_text(), ex.chosen, task.system_prompt]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=600, min_frequency=2,
                            special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<|im_end|>",
                                  pad_token="<|im_end|>", bos_token="<|im_start|>", unk_token="<|endoftext|>")
    tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         tie_word_embeddings=tie_word_embeddings, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                         bos_token_id=tok.bos_token_id)
    LlamaForCausalLM(config).save_pretrained(path)
    tok.save_pretrained(path)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-llama")
    build_tiny_model(path)
    return path


@pytest.fixture(scope="session")
def babbling_model_dir(tmp_path_factory):
    """The tiny llama with untied embeddings: its random greedy answers are non-blank text."""
    path = tmp_path_factory.mktemp("tiny-babbling")
    build_tiny_model(path, tie_word_embeddings=False)
    return path


@pytest.fixture()
def tiny(tiny_model_dir):
    from medtune.models import load_model

    return load_model(str(tiny_model_dir))


class ChatServer:
    """A real OpenAI-compatible HTTP server on loopback (http.server in a thread): POST
    /v1/chat/completions replies with ``replies[model](last user message)``, and fails with HTTP
    503 for the first ``fail_first`` calls. ``calls`` holds every request body.

    A request with ``response_format`` (structured output): ``structured="honour"`` wraps the
    reply as ``{"answer": reply}`` like a server that constrains decoding, ``"refuse"`` answers
    HTTP 400 like a server without it, ``"ignore"`` (default) answers in plain text."""

    def __init__(self, replies, fail_first: int = 0, structured: str = "ignore"):
        self.replies, self.fail_first, self.calls, self.structured = replies, fail_first, [], structured
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.calls.append(body)
                if len(outer.calls) <= outer.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                if "response_format" in body and outer.structured == "refuse":
                    self.send_response(400)
                    self.end_headers()
                    return
                text = outer.replies[body["model"]](body["messages"][-1]["content"])
                if "response_format" in body and outer.structured == "honour":
                    text = json.dumps({"answer": text})
                data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                                   "choices": [{"index": 0, "finish_reason": "stop",
                                                "message": {"role": "assistant", "content": text}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _chat_servers():
    servers = []

    def start(replies, fail_first: int = 0, structured: str = "ignore") -> ChatServer:
        servers.append(ChatServer(replies, fail_first, structured))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture()
def chat_server():
    """``chat_server(replies, fail_first=0, structured="ignore")`` starts a ChatServer; all are shut down after the test."""
    yield from _chat_servers()


@pytest.fixture(scope="module")
def module_chat_server():
    """``chat_server`` for module-scoped fixtures (one study run shared by a module's tests)."""
    yield from _chat_servers()
