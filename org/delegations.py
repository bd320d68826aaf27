"""Delegations: a role holder's open tasks go to another employee for a date range."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.engine import record
from workflow.errors import InvalidTransition, NotPermitted
from workflow.flows import Notice

from .models import Delegation, Employee
from .services import agency_by_unit, hr_scope_units, is_hr_for
from .writes import snapshot

FIELDS = ("delegator", "delegate", "start", "end", "reason")
SCOPES = ("agency", "unit")
# One answer for every delegate the delegator may not choose (nobody by that id, someone of
# another agency, someone inactive or without an account): the API must not tell them apart, or
# it would be a directory of the whole government.
NOT_A_CANDIDATE = gettext_lazy("Choose a colleague of your agency who has a user account.")
NOT_PERMITTED = gettext_lazy("Only the employee or HR of their unit may delegate their tasks.")


def delegation_scope() -> str:
    """KINERJA_DELEGATION_SCOPE: "agency" (the default) or "unit"."""
    scope = getattr(settings, "KINERJA_DELEGATION_SCOPE", "agency")
    if scope not in SCOPES:
        raise ImproperlyConfigured(f"KINERJA_DELEGATION_SCOPE must be one of {', '.join(SCOPES)}, not {scope!r}")
    return scope


def delegation_candidates(delegator: Employee):
    """Whom ``delegator`` may delegate to: active employees with a user account, other than
    themselves, in the delegator's agency (its units and those below it) or, with
    KINERJA_DELEGATION_SCOPE "unit", in the delegator's own unit and those below it. A delegator
    without a position belongs to no agency: nobody."""
    position = delegator.position if delegator.position_id else None
    if position is None:
        return Employee.objects.none()
    root = position.unit if delegation_scope() == "unit" else agency_by_unit([position.unit])[position.unit_id]
    return (Employee.objects.filter(is_active=True, user__isnull=False, position__unit__path__startswith=root.path)
            .exclude(pk=delegator.pk))


def _may_manage(user, delegator: Employee) -> bool:
    """The delegator themselves, or HR of the delegator's unit."""
    if delegator.user_id == user.pk:
        return True
    return delegator.position is not None and is_hr_for(user, [delegator.position.unit])


def _delegator(actor, delegator: Employee | int | None) -> Employee:
    """Whose tasks: the actor's own by default; someone else's only for HR of their unit. Anyone
    else named (nobody by that id, another agency's employee) is refused alike (403)."""
    own = getattr(actor, "employee", None)
    if delegator is None:
        if own is None:
            raise ValidationError({"delegator": [_("Only an employee can delegate their tasks.")]})
        return own
    if isinstance(delegator, int):
        delegator = Employee.objects.select_related("position__unit").filter(pk=delegator).first()
    if delegator is None or not _may_manage(actor, delegator):
        raise NotPermitted(str(NOT_PERMITTED))
    return delegator


def delegation_create(*, actor, delegate: Employee | int, start: datetime.date, end: datetime.date, reason: str,
                      delegator: Employee | int | None = None, origin: dict | None = None) -> Delegation:
    """The delegator (or HR of their unit) hands their tasks to ``delegate`` from ``start`` to
    ``end``: one audit event on the delegation's chain; the delegate is notified. The delegate is
    one of ``delegation_candidates``; anyone else is refused with one message, whatever the
    reason, and is not notified. ``delegate`` and ``delegator`` may be given by id (the API)."""
    delegator = _delegator(actor, delegator)
    errors = {}
    delegate_id = delegate if isinstance(delegate, int) else delegate.pk
    if delegate_id == delegator.pk:
        errors["delegate"] = [_("Delegate to someone else.")]
    else:
        delegate = delegation_candidates(delegator).filter(pk=delegate_id).select_related("user").first()
        if delegate is None:
            errors["delegate"] = [str(NOT_A_CANDIDATE)]
    if end < start:
        errors["end"] = [_("The end comes before the start.")]
    elif end < timezone.localdate():
        errors["end"] = [_("The delegation would already be over.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Give the reason (leave, duty travel, ...).")]
    elif len(reason) > 500:
        errors["reason"] = [_("At most %(count)s characters.") % {"count": 500}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        delegation = Delegation.objects.create(delegator=delegator, delegate=delegate, start=start, end=end,
                                               reason=reason, created_by=actor)
        values = snapshot(delegation, FIELDS)
        record(delegation, "create", actor=actor, comment=reason, origin=origin, created=True,
               data={"changes": {name: [None, value] for name, value in values.items()}},
               notices=[Notice(delegate.user_id, "delegation.started", {
                   "delegator": delegator.name, "start": start.isoformat(), "end": end.isoformat(), "reason": reason,
               })])
    return delegation


def delegation_end(*, delegation: Delegation, actor, origin: dict | None = None) -> Delegation:
    """End a delegation early (now): one audit event; the delegate is notified."""
    if not _may_manage(actor, delegation.delegator):
        raise NotPermitted(_("Only the delegator or HR of their unit may end the delegation."))

    def change(locked: Delegation) -> dict:
        if locked.ended_at is not None or locked.end < timezone.localdate():
            raise InvalidTransition(_("The delegation is already over."))
        locked.ended_at = timezone.now()
        locked.save(update_fields=["ended_at"])
        return {"changes": {"ended_at": [None, locked.ended_at.isoformat()]}}

    def notices(locked: Delegation):
        return [Notice(locked.delegate.user_id, "delegation.ended", {"delegator": locked.delegator.name})]

    with transaction.atomic():
        record(delegation, "end", actor=actor, origin=origin, change=change, notices=notices)
    delegation.refresh_from_db()
    return delegation


def delegations_visible_to(user):
    """Delegations given or received by the user, and those of HR's scope."""
    queryset = Delegation.objects.select_related("delegator", "delegate").order_by("-start", "id")
    if user.is_superuser:
        return queryset
    employee = getattr(user, "employee", None)
    condition = Q(delegator__position__unit__in=hr_scope_units(user))
    if employee is not None:
        condition |= Q(delegator=employee) | Q(delegate=employee)
    return queryset.filter(condition)
