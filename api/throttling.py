"""API throttles that count the client as config/request_origin.py decides it.

DRF's own ``get_ident`` reads ``X-Forwarded-For`` under its ``NUM_PROXIES`` setting, a second
answer to "who is the client" that would disagree with the audit trail and the public form.
"""

from __future__ import annotations

from rest_framework import throttling

from config.request_origin import client_address


class ClientAddressIdent:
    """Mixed into a DRF throttle: the client is identified by the project's client address."""

    def get_ident(self, request) -> str:
        return client_address(request)


class ScopedRateThrottle(ClientAddressIdent, throttling.ScopedRateThrottle):
    pass
