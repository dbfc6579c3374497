"""Egress guard: patient text must not leave the building by accident.

A judge's host is resolved and every address it resolves to must be loopback or private
(RFC 1918, unique-local IPv6, link-local); otherwise the judge is refused unless the study
file says ``allow_external: true``.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from medtune.errors import UserError


def host_addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as err:
        raise UserError(f"judge host {host!r} does not resolve ({err}); check `base_url`") from None
    return sorted({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}, key=str)


def is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_loopback or address.is_private or address.is_link_local


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
        raise UserError(
            f"judge {judge!r}: {host} resolves to {', '.join(outside)}, outside loopback and private "
            "networks, so patient text would leave this network. Run the judge on this machine or "
            "your network, or, if your data agreement allows it, set `allow_external: true` "
            "for this judge in the study file."
        )
