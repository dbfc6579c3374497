"""Egress guard: patient text must not leave the building by accident.

A judge's host is resolved and every address it resolves to must be internal (see
``is_internal``); otherwise the judge is refused unless the study file says
``allow_external: true``. That check runs when the study file is validated, and again on every
connection: ``guarded_http_client`` builds the HTTP client every judge (and every served-model
baseline reusing ``OpenAIBackend``) talks through, which

- never follows a redirect (a 307/308 would re-send the whole prompt to another host);
- ignores HTTP_PROXY/HTTPS_PROXY/ALL_PROXY from the environment, and uses a proxy only when the
  study file names one (``proxy:``), whose own address passes the same check (the proxy then
  resolves the judge's host: the judge's address is checked at validation only);
- resolves the host itself at connect time, checks every address, and connects to the address
  it checked, so a DNS answer that changes between the check and the connection (DNS
  rebinding) cannot send the prompt elsewhere. The Host header and TLS SNI still name the
  judge's host: only the TCP connect target is pinned.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from medtune.errors import UserError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Internal means "stays on this machine or this organisation's network". The list is explicit
# rather than Python's ``is_private``, which counts documentation, benchmarking and reserved
# ranges, and (before 3.13) every IPv4-mapped and all of 2001::/23 (so Teredo), as private.
_INTERNAL = [ipaddress.ip_network(n) for n in (
    "127.0.0.0/8",     # loopback
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
    "169.254.0.0/16",  # IPv4 link-local
    "::1/128",         # IPv6 loopback
    "fc00::/7",        # IPv6 unique-local (RFC 4193)
    "fe80::/10",       # IPv6 link-local
)]
# Stated explicitly as external, with the reason (each is tested):
# - 100.64.0.0/10 (CGNAT, RFC 6598) is the provider's shared space: hosts there belong to the
#   provider or its other customers, not to us.
# - 2001::/32 (Teredo), 2002::/16 (6to4), 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64) reach their
#   destination through a relay or translator we cannot see, often on the internet, whatever
#   IPv4 address they embed: a judge on our network has a native address; use that one.
# - 0.0.0.0/8 and :: (unspecified), multicast, documentation and reserved ranges: not a judge.
_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def is_internal(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address in _IPV4_MAPPED:
        address = address.ipv4_mapped  # the socket connects to the IPv4 address inside
    return any(address in net for net in _INTERNAL if net.version == address.version)


def host_addresses(host: str, port: int | None = None) -> list[Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port)
    except socket.gaierror as err:
        raise UserError(f"judge host {host!r} does not resolve ({err}); check `base_url`") from None
    return sorted({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}, key=str)


def _refusal(judge: str, host: str, outside: list[str]) -> str:
    return (f"judge {judge!r}: {host} resolves to {', '.join(outside)}, outside loopback and private "
            "networks, so patient text would leave this network. Run the judge on this machine or "
            "your network, or, if your data agreement allows it, set `allow_external: true` "
            "for this judge in the study file.")


def check_egress(judge: str, base_url: str, allow_external: bool) -> None:
    """Raise UserError when ``base_url`` leaves loopback/private networks without consent."""
    host = urlsplit(base_url).hostname
    if not host:
        raise UserError(f"judge {judge!r}: `base_url` {base_url!r} has no host; "
                        "write it like http://127.0.0.1:8000/v1")
    if allow_external:
        return
    outside = [str(a) for a in host_addresses(host) if not is_internal(a)]
    if outside:
        raise UserError(_refusal(judge, host, outside))


class EgressRefused(UserError):
    """Raised inside the HTTP transport; the client library wraps it in its connection error,
    so the backend looks for it in the cause chain (``refusal_in``)."""


def refusal_in(err: BaseException | None) -> EgressRefused | None:
    while err is not None:
        if isinstance(err, EgressRefused):
            return err
        err = err.__cause__ or err.__context__
    return None


def _modules():
    """httpx and httpcore under the names the installed openai client uses."""
    try:
        import httpcore2 as httpcore
        import httpx2 as httpx
    except ImportError:
        import httpcore
        import httpx
    return httpx, httpcore


def guarded_http_client(judge: str, allow_external: bool, timeout: float, proxy: str | None = None) -> Any:
    """An ``httpx.Client`` for ``openai.OpenAI(http_client=...)``: no redirects, no proxy but
    ``proxy``, every connection to an address checked at connect time (see the module doc)."""
    httpx, httpcore = _modules()

    class GuardedBackend(httpcore.SyncBackend):
        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            addresses = host_addresses(host, port)
            outside = [str(a) for a in addresses if not is_internal(a)]
            if outside and not allow_external:
                raise EgressRefused(_refusal(judge, host, outside))
            error: Exception | None = None
            for address in addresses:  # connect to a checked address, never re-resolve
                try:
                    return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
                except httpcore.ConnectError as err:
                    error = err
            raise error or httpcore.ConnectError(f"{host}: no address")

    class GuardedTransport(httpx.HTTPTransport):
        def __init__(self) -> None:
            super().__init__(trust_env=False, proxy=proxy)
            # HTTPTransport takes no network backend; its pool (or proxy pool) does.
            assert hasattr(self._pool, "_network_backend"), "httpcore changed: update the egress guard"
            self._pool._network_backend = GuardedBackend()

    class NoRedirectClient(httpx.Client):
        def send(self, request, **kw):
            kw["follow_redirects"] = False  # even when a caller asks per request
            return super().send(request, **kw)

    return NoRedirectClient(transport=GuardedTransport(), trust_env=False, follow_redirects=False,
                            timeout=timeout)
