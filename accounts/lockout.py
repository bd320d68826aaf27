"""Sign-in lock-outs, counted by django-axes.

Every sign-in with a password (the login page, the admin's login, ``POST /api/v1/auth/token/``)
goes through ``django.contrib.auth.authenticate``; axes records each failure by the username tried
and the client address (``config.request_origin.client_address``: the trusted-proxy rule, so a
forged ``X-Forwarded-For`` from a client does not change it). Two separate limits, within the
cool-off period (``KINERJA_LOGIN_LOCKOUT_MINUTES``, 30 by default):

- the **account**: ``KINERJA_LOGIN_FAILURE_LIMIT`` (10) wrong passwords for one username lock that
  username, from every address;
- the **address**: ``KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT`` (100) failures from one address, over
  any usernames, lock that address (password spraying). Higher, because a whole office signs in
  from one public address.

While locked, even the right password is refused, and the refused attempts are not counted (the
lock-out ends at most one cool-off period after it began; an attacker cannot keep it going). A
successful sign-in forgets the account's failures, never the address's.

Each lock-out is a ``LoginLockout`` row with an audit event (username, address, failures); axes
keeps its own records too (attempts, and a log of every failure). An administrator lifts a
lock-out with ``login_unlock`` (here; the admin's action and ``manage.py login_unlock``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from workflow.engine import record
from workflow.errors import NotPermitted

from .models import LoginLockout


@dataclass(frozen=True)
class Failures:
    by_account: int
    by_address: int


def account_limit() -> int:
    return settings.AXES_FAILURE_LIMIT


def address_limit() -> int:
    return settings.KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT


def cool_off() -> datetime.timedelta:
    return get_cool_off() or datetime.timedelta(minutes=30)


def lockout_message() -> str:
    """What a locked-out client is told, in the active language: the same words whether the
    account or the address is locked, and whether or not the username exists."""
    minutes = max(1, round(cool_off().total_seconds() / 60))
    return ngettext(
        "Too many failed attempts to log in: logging in is locked for %(minutes)s minute. "
        "Try again later, or ask an administrator to unlock it.",
        "Too many failed attempts to log in: logging in is locked for %(minutes)s minutes. "
        "Try again later, or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with the two limits above. axes compares one count with one limit,
    so the address's count is put on the account's scale: ``by_address * account_limit //
    address_limit`` reaches ``account_limit`` exactly when ``by_address`` reaches
    ``address_limit``."""

    def failures(self, request, credentials: dict | None = None) -> Failures:
        """The recent failures of the username tried and of the client address (one query)."""
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        recent = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=address))
        if settings.AXES_COOLOFF_TIME is not None:
            recent = recent.filter(attempt_time__gte=get_cool_off_threshold(request))
        sums = recent.aggregate(
            account=Sum("failures_since_start", filter=Q(username=username)),
            address=Sum("failures_since_start", filter=Q(ip_address=address)),
        )
        return Failures(by_account=sums["account"] or 0, by_address=sums["address"] or 0)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        counted = self.failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        return max(counted.by_account, counted.by_address * limit // max(1, address_limit()))

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """On a successful sign-in (``AXES_RESET_ON_SUCCESS``): forget the account's failures only.
        axes would also forget the address's, so one good password of the attacker's own would
        wipe the count of their guesses at everyone else's."""
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return deleted


class LockoutBackend(AxesStandaloneBackend):
    """axes' backend, first in ``AUTHENTICATION_BACKENDS``: a locked-out account or address is
    refused before any password is checked. A call without a request (the test client's
    ``login``, a shell) has no client to count and is passed on to the next backend: every HTTP
    sign-in of the project passes its request (Django's login forms, the token endpoint)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def sign_in_succeeded(request, username: str) -> None:
    """A sign-in outside Django's ``login()`` (the token endpoint) forgets the account's failures
    as a login does."""
    if settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.update_request(request)
        AxesProxyHandler.get_implementation().reset_user_attempts(request, {settings.AXES_USERNAME_FORM_FIELD: username})


def lockout_record(*, request, username: str | None, address: str, origin: dict) -> list[LoginLockout]:
    """axes has refused a sign-in as locked out: record each limit reached that has no open
    lock-out yet (the refusals during a lock-out signal again: they add nothing)."""
    handler = AxesProxyHandler.get_implementation()
    counted = handler.failures(request, getattr(request, "axes_credentials", None)) if isinstance(handler, LockoutHandler) else None
    if counted is None:
        return []
    now = timezone.now()
    reached = []
    if username and counted.by_account >= account_limit():
        reached.append((LoginLockout.Kind.ACCOUNT, Q(username=username), counted.by_account))
    if counted.by_address >= address_limit():
        reached.append((LoginLockout.Kind.ADDRESS, Q(ip_address=address), counted.by_address))
    created = []
    for kind, key, failures in reached:
        if LoginLockout.objects.filter(key, kind=kind, unlocked_at__isnull=True, until__gt=now).exists():
            continue
        with transaction.atomic():
            lockout = LoginLockout.objects.create(kind=kind, username=(username or "")[:150], ip_address=address or "",
                                                  failures=failures, locked_at=now, until=now + cool_off())
            record(lockout, "lock", actor=None, origin=origin, created=True, data={
                "kind": kind, "username": lockout.username, "address": lockout.ip_address, "failures": failures,
                "until": lockout.until.isoformat(),
            })
        created.append(lockout)
    return created


def login_unlock(*, actor, username: str = "", address: str = "", origin: dict | None = None) -> int:
    """Lift the lock-out of an account or an address (an administrator, or the system from the
    command line): axes forgets the failures, and each open lock-out is closed on its audit
    chain. Returns how many open lock-outs were closed."""
    if actor is not None and not actor.is_superuser:
        raise NotPermitted(_("Only an administrator may unlock logging in."))
    username, address = (username or "").strip(), (address or "").strip()
    if not username and not address:
        raise ValidationError({"username": [_("Name the username or the client address to unlock.")]})
    now = timezone.now()
    named = Q(pk__in=[])
    if username:
        named |= Q(kind=LoginLockout.Kind.ACCOUNT, username=username)
    if address:
        named |= Q(kind=LoginLockout.Kind.ADDRESS, ip_address=address)

    def close(locked: LoginLockout) -> dict:
        locked.unlocked_at, locked.unlocked_by = now, actor
        locked.save(update_fields=["unlocked_at", "unlocked_by"])
        return {}

    closed = 0
    with transaction.atomic():  # axes keeps its failures in the database: forgotten with the audit, or not at all
        if username:
            AxesProxyHandler.reset_attempts(username=username)
        if address:
            AxesProxyHandler.reset_attempts(ip_address=address)
        for lockout in LoginLockout.objects.filter(named, unlocked_at__isnull=True, until__gt=now).order_by("pk"):
            record(lockout, "unlock", actor=actor, origin=origin, change=close)
            closed += 1
    return closed
