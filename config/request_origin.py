"""Where a request came from: the client's address and the audit trail's origin.

One place decides it for everything that asks: the audit origin of the API and the pages, every
API throttle, the public feedback form's limit per address. It lives in ``config`` because it
depends on how the site is deployed (which proxies stand in front of it), not on any part of the
domain; ``api`` and ``web`` both import it and ``workflow`` stays unaware of HTTP.

Which ``X-Forwarded-For`` entries to believe is the setting ``KINERJA_TRUSTED_PROXIES``:

- a number N (default 0): N reverse proxies stand in front of the application, each appending the
  address it received the request from. The client is the address N hops from the right of the
  chain ``X-Forwarded-For`` + ``REMOTE_ADDR``. With 0 the header is ignored: anyone may send it.
- a comma-separated list of addresses and networks (``10.0.0.0/8, 192.0.2.7``): the chain is walked
  from the right, skipping the trusted proxies; the first address that is not one is the client.

``KINERJA_TRUST_X_FORWARDED_FOR=true`` is the deprecated spelling of one proxy.

Entries further left than the trusted proxies are written by the client and never believed. An
entry that is not an address where a trusted proxy should have written one (a misconfigured
count) falls back to ``REMOTE_ADDR``, the one address nobody can forge.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.authentication import TokenAuthentication

# Longest textual IPv6 address (an IPv4-mapped one); what the audit origin may hold.
IP_MAX_LENGTH = 45
USER_AGENT_MAX_LENGTH = 300

# NUL (which PostgreSQL refuses in text) and every other C0/C1 control character.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request) -> str:
    """The client's IP address as the trusted proxies tell it, or "" when not even
    ``REMOTE_ADDR`` is one. ``request`` is a Django ``HttpRequest`` or a DRF ``Request``."""
    meta = request.META
    peer = parse_ip(meta.get("REMOTE_ADDR", ""))
    trusted = trusted_proxies()
    if peer is None or trusted == 0:
        return peer or ""
    forwarded = [entry.strip() for entry in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [entry for entry in forwarded if entry] + [peer]
    if isinstance(trusted, int):
        chosen = chain[max(0, len(chain) - 1 - trusted)]
        return parse_ip(chosen) or peer
    return _first_untrusted_from_the_right(chain, trusted) or peer


def request_origin(request, *, channel: str | None = None) -> dict:
    """The audit trail's origin of a request: channel, client address and user agent, cleaned.

    The channel is "api" for a request authenticated by a token, "web" otherwise (the pages, and
    the browser's session calling the API), unless the caller names it.
    """
    return {
        "channel": channel or _channel_of(request),
        "ip": client_address(request),
        "user_agent": clean_text(request.META.get("HTTP_USER_AGENT", ""), USER_AGENT_MAX_LENGTH),
    }


def clean_text(value, max_length: int) -> str:
    """``value`` without control characters, at most ``max_length`` characters long."""
    if not isinstance(value, str):
        return ""
    return _CONTROL_CHARACTERS.sub("", value)[:max_length]


def parse_ip(text) -> str | None:
    """``text`` as a normalised IP address, or None. Proxies sometimes add the port
    (``192.0.2.1:5050``, ``[2001:db8::1]:443``); it is dropped."""
    if not isinstance(text, str) or not text or len(text) > IP_MAX_LENGTH + 8:
        return None
    candidate = text.strip()
    if candidate.startswith("[") and "]" in candidate:
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:
        candidate = candidate.split(":", 1)[0]
    try:
        address = str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
    return address if len(address) <= IP_MAX_LENGTH and not _CONTROL_CHARACTERS.search(address) else None


def trusted_proxies() -> int | tuple[Network, ...]:
    """The ``KINERJA_TRUSTED_PROXIES`` setting read: a count, or the trusted networks."""
    configured = str(getattr(settings, "KINERJA_TRUSTED_PROXIES", "") or "").strip()
    if configured in ("", "0") and getattr(settings, "KINERJA_TRUST_X_FORWARDED_FOR", False):
        configured = "1"  # the deprecated setting, kept working
    return _parse_trusted_proxies(configured)


@lru_cache(maxsize=8)
def _parse_trusted_proxies(configured: str) -> int | tuple[Network, ...]:
    if configured == "":
        return 0
    if configured.isdigit():
        return int(configured)
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in configured.split(",") if part.strip())
    except ValueError as error:
        raise ImproperlyConfigured(
            f"KINERJA_TRUSTED_PROXIES must be a number of proxies or a comma-separated list of addresses "
            f"and networks: {error}"
        ) from None


def _first_untrusted_from_the_right(chain: list[str], trusted: tuple[Network, ...]) -> str | None:
    for entry in reversed(chain):
        address = parse_ip(entry)
        if address is None:
            return None  # not an address where a trusted proxy wrote: believe nothing further left
        if not any(_in_network(address, network) for network in trusted):
            return address
    return parse_ip(chain[0])  # every hop is a trusted proxy: the request began at the first


def _in_network(address: str, network: Network) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version != network.version and getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    return ip in network


def _channel_of(request) -> str:
    authenticator = getattr(request, "successful_authenticator", None)
    return "api" if isinstance(authenticator, TokenAuthentication) else "web"
