"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>", so a receiver can check both
who sent the event and that it is fresh (a replayed request carries an old timestamp)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import time
import urllib.parse
import urllib.request

from django.utils.translation import gettext_lazy as _

SIGNATURE_HEADER = "X-Kinerja-Signature"
TIMESTAMP_HEADER = "X-Kinerja-Timestamp"
EVENT_ID_HEADER = "X-Kinerja-Event-Id"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature or "")


# Where a webhook may go -----------------------------------------------------------------------
#
# HR names the URL, so without a check it could make the server POST to itself or its private
# network (the database, the broker, a cloud metadata service). An endpoint must resolve to public
# addresses only, unless KINERJA_WEBHOOK_ALLOW_PRIVATE allows the rest (a receiver on the same
# host or network, in development and tests). It is checked when HR registers the URL, for a
# clear 400, and again each time a delivery connects: a name may resolve elsewhere since, so the
# connection goes to the very addresses that were checked, never to a second lookup's answer.


class DestinationRefused(OSError):
    """The URL's host resolves to an address a webhook may not reach."""


def private_allowed() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "KINERJA_WEBHOOK_ALLOW_PRIVATE", False))


def is_public(address: str) -> bool:
    """A global unicast address: not loopback, private, link-local, shared (CGNAT), reserved,
    unspecified or multicast; an IPv4 address mapped into IPv6 is judged as itself."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope id ("fe80::1%eth0") is local anyway
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host``, in the resolver's order, each once (socket.gaierror if none)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses a delivery may connect to: all of the host's, if every one is public (or
    private ones are allowed). One private address refuses the host: a name that answers with
    both could be steered to the private one."""
    addresses = resolve(host, port)
    if not private_allowed() and not all(is_public(address) for address in addresses):
        raise DestinationRefused(f"{host} resolves to an address that is not public")
    return addresses


BAD_PORT = _("The URL's port is not a number from 1 to 65535.")
NOT_PUBLIC = _("The URL points to a loopback, private or link-local address; a webhook must reach a public address.")


def registration_problem(url: str) -> str | None:
    """Why HR may not register ``url`` (a translated message), or None. A name that does not
    resolve now is accepted: it is checked again when a delivery connects."""
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        return str(BAD_PORT)
    try:
        checked_addresses(host, port)
    except DestinationRefused:
        return str(NOT_PUBLIC)
    except (OSError, UnicodeError, ValueError):  # no such name (yet), or no resolver here
        return None
    return None


def _guarded_create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **kwargs):
    """socket.create_connection, connecting only to the checked addresses of the host."""
    host, port = address[0], address[1]
    error: OSError | None = None
    for ip in checked_addresses(host, port):
        try:
            return socket.create_connection((ip, port), timeout, source_address, **kwargs)
        except OSError as failed:
            error = failed
    raise error or OSError(f"{host}: no address to connect to")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_create_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    """TLS is still checked against the URL's host name: only the TCP connection is guarded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_create_connection


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery (an HTTPError), not a second destination to trust."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxy from the environment: the check must see the receiver's own address.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _GuardedHTTPHandler, _GuardedHTTPSHandler, _NoRedirect)


def open_guarded(request: urllib.request.Request, *, timeout: float):
    """Send a webhook request to a checked address (DestinationRefused otherwise)."""
    return _OPENER.open(request, timeout=timeout)
