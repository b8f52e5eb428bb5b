"""The one outbound-URL policy: every request the server makes to an address a user typed goes here.

A URL typed by a staff user (an alert webhook today) must never let the server reach what only
the server can reach: its own loopback services (Redis, PostgreSQL), the private network, the
cloud metadata address. The rule, checked when the URL is saved and again at connect time
(DNS can answer differently the second time):

- scheme ``https`` only; ``http`` only where ``OUTBOUND_ALLOW_HTTP`` is on;
- no user:password in the URL, a port between 1 and 65535;
- every address the host resolves to must be public: loopback, private, link-local (the metadata
  address 169.254.169.254 among them), multicast, reserved, unspecified and carrier-grade NAT
  ranges are refused, unless the address is inside ``OUTBOUND_ALLOWED_NETWORKS`` (a CIDR list an
  operator sets for a receiver on the inside, empty by default);
- the connection goes to the address that was checked (no second lookup), and redirects are
  never followed: a 3xx is the receiver's answer, not an instruction.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_URL_LENGTH = 500
# 100.64.0.0/10 (carrier-grade NAT) is not "private" to the ipaddress module but is not the internet.
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


class OutboundRefused(ValueError):
    """The URL breaks the outbound policy; the message says which rule."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection must use


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", [])]


def _refusal(address: ipaddress._BaseAddress) -> str | None:
    if any(address in net for net in _allowed_networks()):
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _refusal(address.ipv4_mapped)
    # The most specific first: 169.254.0.0/16 and 0.0.0.0 are also "private" to the ipaddress module.
    for name in ("is_unspecified", "is_loopback", "is_link_local", "is_multicast", "is_reserved", "is_private"):
        if getattr(address, name):
            return name[3:].replace("_", "-")
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE:
        return "shared (carrier-grade NAT)"
    return None


def _parse(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url:
        raise OutboundRefused("The URL is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefused(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"The URL cannot be read: {exc}.") from exc
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if getattr(settings, "OUTBOUND_ALLOW_HTTP", False) else ("https",)
    if scheme not in allowed:
        raise OutboundRefused(
            f"Scheme {scheme or '(none)'!r} is not allowed: use {' or '.join(allowed)}"
            + ("" if "http" in allowed else " (OUTBOUND_ALLOW_HTTP=1 allows http)") + ".")
    if parts.username or parts.password:
        raise OutboundRefused("The URL must not carry a user name or password.")
    host = parts.hostname
    if not host:
        raise OutboundRefused("The URL has no host.")
    if port is None:
        port = 443 if scheme == "https" else 80
    if not 1 <= port <= 65535:
        raise OutboundRefused(f"Port {port} is out of range.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, path


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused(f"Host {host!r} does not resolve: {exc}.") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str) -> Target:
    """The checked target of ``url``, or OutboundRefused naming the rule it breaks."""
    scheme, host, port, path = _parse(url)
    addresses = _resolve(host, port)
    if not addresses:
        raise OutboundRefused(f"Host {host!r} does not resolve.")
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        why = _refusal(address)
        if why:
            raise OutboundRefused(
                f"Host {host!r} resolves to {address}, a {why} address: the server does not connect there "
                f"(OUTBOUND_ALLOWED_NETWORKS can allow an inside receiver).")
    return Target(scheme, host, port, path, addresses[0])


def validate_outbound_url(url: str) -> None:
    """Model and form validator: the same policy, as a ValidationError."""
    try:
        check_url(url)
    except OutboundRefused as exc:
        raise ValidationError(str(exc), code="outbound_refused") from exc


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate still checked against the host name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``url`` under the policy; returns the HTTP status (3xx is not followed).

    Raises OutboundRefused for a URL the policy refuses, OSError for network failures.
    """
    target = check_url(url)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = connection_class(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)  # drain a little so the connection closes cleanly; the body is not used
        return response.status
    finally:
        conn.close()
