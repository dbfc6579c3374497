"""The egress guard on every judge call: no redirect followed, no proxy from the environment,
the connection made only to an address checked at connect time (DNS rebinding), and the
private-network list, address by address. Real HTTP servers on loopback."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from medtune.errors import UserError
from medtune.judges import JudgeSettings
from medtune.judges.backends import OpenAIBackend
from medtune.judges.egress import is_internal

MESSAGES = [{"role": "user", "content": "Mrs Quorvik, 71: is this summary right?"}]


class Recorder:
    """A loopback HTTP server that records every request (method, target, Host, body) and
    answers with ``reply(handler)``: a chat completion by default."""

    def __init__(self, reply=None):
        self.calls: list[tuple[str, str, str, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.calls.append((self.command, self.path, self.headers.get("Host"), body))
                (reply or completion)(self)

            do_GET = do_POST = do_CONNECT = _any

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def completion(handler):
    data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": "4"}}]}).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@pytest.fixture()
def servers():
    started = []

    def start(reply=None):
        started.append(Recorder(reply))
        return started[-1]

    yield start
    for s in started:
        s.close()


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
                "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)


def judge(url, **kw):
    return JudgeSettings(name="j", backend="openai", model="m", base_url=url, backoff_seconds=0,
                         timeout_seconds=5, **kw)


@pytest.mark.parametrize("status", [307, 308, 302])
def test_a_redirect_is_not_followed(servers, status):
    elsewhere = servers()

    def redirect(handler):
        handler.send_response(status)
        handler.send_header("Location", f"{elsewhere.url}/chat/completions")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    allowed = servers(redirect)
    with pytest.raises(UserError, match="redirect"):
        OpenAIBackend(judge(allowed.url)).complete(MESSAGES)
    assert len(allowed.calls) == 1
    assert elsewhere.calls == []  # the prompt (patient text) went nowhere else


def test_proxy_variables_in_the_environment_are_not_used(servers, monkeypatch):
    proxy, real = servers(), servers()
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(var, f"http://127.0.0.1:{proxy.port}")
    assert OpenAIBackend(judge(real.url)).complete(MESSAGES) == "4"
    assert proxy.calls == [] and len(real.calls) == 1


def test_a_proxy_named_in_the_study_file_is_used_and_checked(servers):
    proxy = servers()
    backend = OpenAIBackend(judge("http://10.9.8.7:8000/v1", proxy=f"http://127.0.0.1:{proxy.port}"))
    assert backend.complete(MESSAGES) == "4"
    method, target, _, _ = proxy.calls[0]
    assert method == "POST" and target == "http://10.9.8.7:8000/v1/chat/completions"
    with pytest.raises(UserError, match="8.8.8.8"):  # a public proxy is refused like a public judge
        OpenAIBackend(judge("http://127.0.0.1:1/v1", proxy="http://8.8.8.8:3128"))


class Resolver:
    """getaddrinfo for ``judge.test``: the addresses in ``answers``, one list per lookup (a DNS
    rebinding attack answers a private address first, a public one later). Records every
    address a socket connects to."""

    def __init__(self, monkeypatch, answers):
        self.answers, self.connected = list(answers), []
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

        def getaddrinfo(host, port, *args, **kw):
            if host != "judge.test":
                return real_getaddrinfo(host, port, *args, **kw)
            ip = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 0))]

        def connect(sock, address):
            self.connected.append(address[0])
            return real_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)


def test_the_connection_goes_to_the_checked_address_and_keeps_the_host_name(servers, monkeypatch):
    real = servers()
    resolver = Resolver(monkeypatch, ["127.0.0.1"])
    assert OpenAIBackend(judge(f"http://judge.test:{real.port}/v1")).complete(MESSAGES) == "4"
    assert resolver.connected == ["127.0.0.1"]
    assert real.calls[0][2] == f"judge.test:{real.port}"  # the Host header names the judge


def test_dns_rebinding_to_a_public_address_is_refused_at_connect_time(servers, monkeypatch):
    real = servers()
    resolver = Resolver(monkeypatch, ["127.0.0.1", "203.0.113.9"])  # checked, then rebound
    backend = OpenAIBackend(judge(f"http://judge.test:{real.port}/v1"))  # passes the first check
    with pytest.raises(UserError, match="203.0.113.9"):
        backend.complete(MESSAGES)
    assert "203.0.113.9" not in resolver.connected and real.calls == []


@pytest.mark.parametrize("address, internal", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True),
    ("169.254.1.1", True), ("::1", True), ("fd00::1", True), ("fe80::1", True),
    ("8.8.8.8", False), ("203.0.113.9", False),
    ("100.64.0.1", False),  # CGNAT: the provider's shared space, other customers' hosts
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo: relayed over the internet
    ("2002:0a00:0001::1", False),  # 6to4, even with an embedded 10.0.0.1: relayed
    ("64:ff9b::10.0.0.1", False),  # NAT64: a translator we cannot see
    ("64:ff9b:1::10.0.0.1", False),  # NAT64 local-use prefix: likewise
    ("::ffff:8.8.8.8", False),  # IPv4-mapped: judged by the IPv4 address inside
    ("::ffff:127.0.0.1", True),
    ("0.0.0.0", False), ("::", False), ("224.0.0.1", False), ("ff02::1", False),
])
def test_private_network_list(address, internal):
    assert is_internal(ipaddress.ip_address(address)) is internal


def test_a_public_proxy_fails_the_study_file():
    from pydantic import ValidationError

    from medtune.judges.config import JurySettings

    with pytest.raises(ValidationError, match="8.8.8.8"):
        JurySettings(jury=[judge("http://127.0.0.1:1/v1", proxy="http://8.8.8.8:3128")],
                     rubrics={"medqa": "equivalence"})
