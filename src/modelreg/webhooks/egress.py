"""Requests the server makes to URLs users gave it (webhooks): public addresses only.

A registry that POSTs to any URL a user names can be turned against the
network it runs in (server-side request forgery): the cloud metadata service
at 169.254.169.254, an admin port on localhost, a database on 10.0.0.5. So
every outbound request goes only to globally routable addresses, unless an
admin allows some networks with ``MODELREG_WEBHOOK_ALLOWED_NETWORKS`` (e.g.
``10.0.0.0/8,127.0.0.1/32``). Refused are loopback, private, link-local,
shared (CGNAT), multicast, reserved and unspecified addresses, including when
wrapped in IPv6 (``::ffff:127.0.0.1``, NAT64 ``64:ff9b::7f00:1``,
IPv4-compatible ``::127.0.0.1``, ``::ffff:0:127.0.0.1``, 6to4, Teredo) or spelled oddly
(``2130706433``, ``0x7f000001``, ``127.1``: the resolver reads them all as
127.0.0.1, and the check looks at what the resolver returns).

The host name is resolved once; every address it resolves to must pass, and
the connection goes to a checked address (with the name kept for ``Host``,
TLS SNI and certificate checks), so a DNS answer that changes between check
and connect (DNS rebinding) cannot slip through. Redirects are never
followed: a 3xx answer is just an answer.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from modelreg import settings
from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.tls import system_tls_context

__all__ = ["allowed_networks", "check_address", "check_url", "post"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# What is kept of a receiver's answer (a test delivery shows it); the rest is not read.
ANSWER_BYTES = 4096


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Networks an admin allows though they are not public; raises ``InvalidArgument``
    naming a malformed entry of ``MODELREG_WEBHOOK_ALLOWED_NETWORKS``."""
    raw = settings.WEBHOOK_ALLOWED_NETWORKS.get() or ""
    networks = []
    for item in raw.replace(" ", "").split(","):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise InvalidArgument(
                    f"MODELREG_WEBHOOK_ALLOWED_NETWORKS entry '{item}' is not a network "
                    "such as 10.0.0.0/8 or fd00::/8"
                ) from None
    return networks


# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway or the host's
# own stack turns the packet over to: NAT64's well-known prefix (RFC 6052),
# IPv4-compatible addresses (RFC 4291, deprecated but still routed by some
# stacks) and SIIT's IPv4-translated addresses (RFC 2765). ``::ffff:0:0/96``
# (IPv4-mapped), 6to4 and Teredo have their own accessors in ``ipaddress``.
_LAST_32_BITS_IPV4 = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96")
)
# NAT64 prefixes for local use (RFC 8215): where the IPv4 address sits depends on
# the network's own prefix length, so none of it counts as public.
_NOT_PUBLIC_V6 = (ipaddress.IPv6Network("64:ff9b:1::/48"),)


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address ``ip`` carries inside it (none for an IPv4 address)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    wrapped = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if any(ip in network for network in _LAST_32_BITS_IPV4):
        wrapped.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [w for w in wrapped if w is not None]


def _public(ip: IPAddress) -> bool:
    if any(ip in network for network in _NOT_PUBLIC_V6):
        return False
    return ip.is_global and not ip.is_multicast and all(map(_public, _embedded_ipv4(ip)))


def check_address(ip: IPAddress | str, host: str = "") -> None:
    """Raises ``PermissionDenied`` unless ``ip`` is public or in an allowed network."""
    ip = ipaddress.ip_address(ip)
    if _public(ip) or any(ip in network for network in allowed_networks()):
        return
    shown = f"'{host}' resolves to {ip}" if host and host != str(ip) else f"{ip}"
    raise PermissionDenied(
        f"webhook destination {shown}, which is not a public address (loopback, private, "
        "link-local or reserved); an admin can allow its network with "
        "MODELREG_WEBHOOK_ALLOWED_NETWORKS"
    )


def check_url(url: str) -> None:
    """Refuses, with ``InvalidArgument``, a URL whose host is visibly not public: an IP
    literal outside the allowed networks or ``localhost``. Names are checked again,
    resolved, on every request (:func:`post`)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    try:
        check_address(ip)
    except PermissionDenied as exc:
        raise InvalidArgument(exc.message.replace("webhook destination", "webhook url")) from None


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """Every address ``host`` resolves to, each one checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve '{host}': {exc}") from exc
    for info in infos:
        check_address(str(info[4][0]).split("%", 1)[0], host)
    return infos


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked addresses, whatever the name would resolve to now."""

    def __init__(self, host: str, port: int, addresses: list[Any], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def _open_socket(self) -> socket.socket:
        error: OSError | None = None
        for family, kind, proto, _name, sockaddr in self._addresses:
            sock = socket.socket(family, kind, proto)
            sock.settimeout(self.timeout)
            try:
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError(f"no address to connect to for '{self.host}'")

    def connect(self) -> None:
        self.sock = self._open_socket()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(_PinnedHTTP):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = system_tls_context().wrap_socket(self.sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
    """POSTs ``body`` to ``url``; returns the status code and the first
    :data:`ANSWER_BYTES` of the answer (redirects are not followed).

    Raises ``PermissionDenied`` when the host resolves to an address that is
    not allowed, ``InvalidArgument`` for a URL that is not http(s), and
    ``OSError`` (or ``http.client.HTTPException``) when the request fails.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(f"webhook url '{url:.100}' must be an http:// or https:// URL")
    port = parts.port or (443 if scheme == "https" else 80)
    addresses = _resolve(parts.hostname, port)
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    conn = kind(parts.hostname, port, addresses, timeout)
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn.request("POST", target, body=body, headers=dict(headers))
        response = conn.getresponse()
        return response.status, response.read(ANSWER_BYTES)
    finally:
        conn.close()
