"""What a token may do: its scopes.

A person's sign-in token has the scope ``full``: everything the person may do, as on the pages.
A service account's tokens have one or more of the narrow scopes:

- ``read``: every GET (and HEAD, OPTIONS) the account's role allows; no write at all;
- ``webhooks``: the webhook endpoints and their deliveries (``/api/v1/webhooks/``,
  ``/api/v1/deliveries/``), every method.

Any token may revoke itself (``DELETE /api/v1/auth/token/``).

The check sits in the token authentication (api/authentication.py), ahead of every view, so a
view that sets its own permission classes cannot forget it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

FULL = "full"
READ = "read"
WEBHOOKS = "webhooks"

# The scopes a service account may be given, with what each allows (shown in the API's schema).
SERVICE_SCOPES = {
    READ: _("read everything the account may see; no changes"),
    WEBHOOKS: _("manage the webhooks of the account's scope and their deliveries"),
}
SCOPE_NAMES = frozenset({FULL, *SERVICE_SCOPES})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The API routes (by the router's basename, the start of each route's name) a scope opens.
ROUTES = {WEBHOOKS: ("webhook", "delivery")}
# Whatever its scopes, a token may revoke itself (``DELETE /api/v1/auth/token/``).
SELF_REVOKE = ("auth-token", "DELETE")


def scope_set(text: str) -> frozenset[str]:
    """The scopes stored as space-separated names (as OAuth writes them)."""
    return frozenset(text.split())


def scope_text(scopes) -> str:
    return " ".join(sorted(set(scopes)))


def allows(scopes: frozenset[str], method: str, route_name: str | None) -> bool:
    """Whether a token with ``scopes`` may send ``method`` to the route named ``route_name``."""
    if FULL in scopes or (READ in scopes and method in SAFE_METHODS) or (route_name, method) == SELF_REVOKE:
        return True
    if not route_name:
        return False
    return any(route_name.startswith(f"{basename}-") for scope in scopes for basename in ROUTES.get(scope, ()))
