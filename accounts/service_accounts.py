"""Service accounts: integrations (a payroll or personnel system) that call the API.

A service account is a user that cannot sign in with a password. HR creates it for a unit of its
scope; it holds HR's role over that unit (so it sees what HR of the unit sees, nothing of another
agency) and acts only through tokens limited to the account's scopes (``read``, ``webhooks``:
accounts/scopes.py). HR of the unit issues its tokens (each key shown once, with a lifetime of at
most ``KINERJA_SERVICE_TOKEN_MAX_DAYS``), and deactivates it, which revokes every token.

HR (or an administrator) also revokes the tokens of a person of its scope (``user_tokens_revoke``).
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from org.models import Employee, Unit
from org.services import hr_scope_units, is_hr, is_hr_for
from org.writes import role_grant
from processes.services.checks import Errors
from workflow.engine import record
from workflow.errors import NotPermitted

from .models import ApiToken, ServiceAccount
from .scopes import SERVICE_SCOPES, scope_text
from .tokens import IssuedToken, token_issue, tokens_revoke_for_user

NAME_MAX_LENGTH = 100


def _require_hr(actor, message: str) -> None:
    if actor is not None and not is_hr(actor):
        raise NotPermitted(message)


# Reads ----------------------------------------------------------------------------------------


def service_accounts_visible_to(user) -> QuerySet[ServiceAccount]:
    """The service accounts of the user's HR scope (all for a superuser, none for others)."""
    accounts = ServiceAccount.objects.select_related("user", "unit")
    if user.is_superuser:
        return accounts
    return accounts.filter(unit__in=hr_scope_units(user))


def users_in_hr_scope(user) -> QuerySet:
    """The users whose tokens ``user`` may revoke: the employees of its HR scope and its service
    accounts (every user for a superuser)."""
    users = get_user_model().objects.all()
    if user.is_superuser:
        return users
    units = hr_scope_units(user)
    return users.filter(
        Q(pk__in=Employee.objects.filter(position__unit__in=units, user__isnull=False).values("user_id"))
        | Q(pk__in=ServiceAccount.objects.filter(unit__in=units).values("user_id"))
    )


# Writes ---------------------------------------------------------------------------------------


def service_account_create(*, actor, name, unit: Unit | None, scopes, expires_in_days=None,
                           origin: dict | None = None) -> tuple[ServiceAccount, IssuedToken]:
    """A service account over ``unit`` with ``scopes`` and its first token (the key, once)."""
    _require_hr(actor, _("Only HR manages service accounts."))
    errors = Errors()
    name = errors.text("name", name, max_length=NAME_MAX_LENGTH, required=_("Name the service account."))
    if unit is None or not (actor is None or is_hr_for(actor, [unit])) or not unit.is_active:
        errors.add("unit", _("Choose an active unit within your scope."))
    chosen = _checked_scopes(errors, scopes)
    expires_at = _checked_expiry(errors, expires_in_days)
    errors.raise_any()
    with transaction.atomic():
        user = get_user_model().objects.create(username=_username_for(unit), password=make_password(None))
        account = ServiceAccount.objects.create(user=user, name=name, unit=unit, scopes=scope_text(chosen), created_by=actor)
        record(account, "create", actor=actor, origin=origin, created=True,
               data={"name": name, "unit": unit.pk, "user": user.pk, "scopes": sorted(chosen)})
        role_grant(actor=actor, user=user, unit=unit, origin=origin)
        issued = token_issue(user=user, actor=actor, kind=ApiToken.Kind.SERVICE, scopes=chosen, expires_at=expires_at, origin=origin)
    return account, issued


def service_account_token_issue(*, actor, account: ServiceAccount, expires_in_days=None,
                                origin: dict | None = None) -> IssuedToken:
    """Another token of the account (to rotate its key: issue, switch, then revoke the old)."""
    _require_scope(actor, account)
    errors = Errors()
    expires_at = _checked_expiry(errors, expires_in_days)
    if account.deactivated_at is not None:
        errors.add("non_field_errors", _("The service account is deactivated."))
    errors.raise_any()
    return token_issue(user=account.user, actor=actor, kind=ApiToken.Kind.SERVICE, scopes=account.scope_set,
                       expires_at=expires_at, origin=origin)


def service_account_deactivate(*, actor, account: ServiceAccount, origin: dict | None = None) -> ServiceAccount:
    """The account can no longer sign in: its user is deactivated and every token revoked."""
    _require_scope(actor, account)
    if account.deactivated_at is not None:
        return account

    def change(locked: ServiceAccount) -> dict:
        if locked.deactivated_at is None:
            locked.deactivated_at = timezone.now()
            locked.save(update_fields=["deactivated_at"])
            get_user_model().objects.filter(pk=locked.user_id).update(is_active=False)
        return {}

    with transaction.atomic():
        record(account, "deactivate", actor=actor, origin=origin, change=change)
        tokens_revoke_for_user(user=account.user, reason=ApiToken.Reason.DEACTIVATED, actor=actor, origin=origin)
    account.refresh_from_db()
    return account


def user_tokens_revoke(*, actor, user, origin: dict | None = None) -> int:
    """HR revokes every token of a person (or service account) of its scope: how many."""
    _require_hr(actor, _("Only HR may revoke the tokens of others."))
    if actor is not None and not users_in_hr_scope(actor).filter(pk=user.pk).exists():
        raise NotPermitted(_("Only HR of the user's unit may revoke their tokens."))
    return tokens_revoke_for_user(user=user, reason=ApiToken.Reason.HR, actor=actor, origin=origin)


# Checks ---------------------------------------------------------------------------------------


def _require_scope(actor, account: ServiceAccount) -> None:
    if actor is not None and not is_hr_for(actor, [account.unit]):
        raise NotPermitted(_("Only HR of the service account's unit may manage it."))


def _checked_scopes(errors: Errors, scopes) -> frozenset[str]:
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, (list, tuple, set, frozenset)) or not scopes or not all(isinstance(s, str) for s in scopes):
        errors.add("scopes", _("Choose one or more of: %(choices)s.") % {"choices": ", ".join(SERVICE_SCOPES)})
        return frozenset()
    unknown = sorted(set(scopes) - set(SERVICE_SCOPES))
    if unknown:
        errors.add("scopes", _("Unknown scope: %(names)s. Choose from: %(choices)s.") % {
            "names": ", ".join(name[:30] for name in unknown[:5]), "choices": ", ".join(SERVICE_SCOPES)})
        return frozenset()
    return frozenset(scopes)


def _checked_expiry(errors: Errors, days) -> datetime.datetime | None:
    longest = settings.KINERJA_SERVICE_TOKEN_MAX_DAYS
    if days is None or days == "":
        days = settings.KINERJA_SERVICE_TOKEN_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        errors.add("expires_in_days", _("Give a whole number of days from 1 to %(max)s.") % {"max": longest})
        return None
    return timezone.now() + datetime.timedelta(days=days)


def _username_for(unit: Unit) -> str:
    return f"svc-{slugify(unit.code)[:40] or 'unit'}-{secrets.token_hex(4)}"
