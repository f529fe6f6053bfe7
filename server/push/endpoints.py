"""Where the reminder run may post: the endpoint a device gives, checked with the parser that
sends (urllib3's, which requests uses), and the addresses its name resolves to, checked on
each connection (docs/push.md, "Known push services only").

An endpoint is a URL chosen by whoever holds a device token. Checked with another parser
than the one that connects, `https://127.0.0.1\\@fcm.googleapis.com/x` looked like FCM and
connected to 127.0.0.1; so the rules refuse anything the two parsers could read apart.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError, NewConnectionError
from urllib3.util import parse_url

MAX_ENDPOINT = 2048
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _listed(host: str, hosts) -> bool:
    return any(host == h or host.endswith("." + h) for h in hosts)


def check(endpoint: str, hosts=None, allow_private: bool = False) -> str | None:
    """None when the run may post to this endpoint, else why not: `invalid` (not a plain
    absolute URL: userinfo, a backslash, a space or control character, non-ASCII, another
    scheme) or `unknown_push_service` (not https, an explicit port, an IP literal, a host not
    in `hosts`). Without `hosts` only the first kind is checked.

    `allow_private` (PUSH_ALLOW_PRIVATE_ADDRESSES, tests only) lets a listed loopback host
    use http and a port: the tests' stand-in push service."""
    if not endpoint or len(endpoint) > MAX_ENDPOINT or not endpoint.isascii():
        return "invalid"
    if "\\" in endpoint or any(ch <= " " or ch == "\x7f" for ch in endpoint):
        return "invalid"
    try:
        url = parse_url(endpoint)
        other = urlsplit(endpoint)
    except (LocationParseError, ValueError):
        return "invalid"
    host = (url.host or "").lower()
    if url.scheme not in ("https", "http") or not host or url.auth or "@" in other.netloc:
        return "invalid"
    if (other.hostname or "") != host.strip("[]"):
        return "invalid"  # the two parsers disagree: refuse rather than guess which is right
    if hosts is None:
        return None
    if not _listed(host.strip("[]"), hosts):
        return "unknown_push_service"
    if allow_private and host.strip("[]") in LOOPBACK:
        return None
    if url.scheme != "https" or url.port is not None or other.port is not None or _is_ip(host):
        return "unknown_push_service"
    return None


def public_address(address: str) -> bool:
    """Whether an address is one the run may connect to: not private, loopback, link-local,
    shared, reserved, multicast or unspecified (IPv4 inside IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class RefusedAddress(NewConnectionError):
    """The endpoint's name resolved to an address inside a network (never connected)."""


def _resolve_public(conn, host: str, port: int) -> str:
    """The first address of host, when every one of them is public; else RefusedAddress."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise NewConnectionError(conn, "name not resolved") from exc
    addresses = [info[4][0] for info in found]
    if not addresses or not all(public_address(a) for a in addresses):
        raise RefusedAddress(conn, "refused: not a public address")
    return addresses[0]


class _Pinned:
    """A connection that resolves its host itself, refuses private addresses, and connects to
    the address it checked (so a name cannot resolve differently between check and
    connect). TLS still checks the certificate against the name."""

    def _new_conn(self):
        host = self._dns_host
        self._dns_host = _resolve_public(self, host, self.port)
        try:
            return super()._new_conn()
        finally:
            self._dns_host = host


class _PinnedHTTP(_Pinned, HTTPConnection):
    pass


class _PinnedHTTPS(_Pinned, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTP


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPS


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections go to public addresses only."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def check_resolves_public(endpoint: str) -> bool:
    """Through a proxy the run does not connect itself: resolve the name here (the proxy
    resolves it again, so its own egress rules stay the real guard)."""
    url = parse_url(endpoint)
    try:
        _resolve_public(None, url.host, url.port or 443)
    except NewConnectionError:
        return False
    return True
