"""Delegations: a role holder's open tasks go to another employee for a date range."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.engine import record
from workflow.errors import InvalidTransition, NotPermitted
from workflow.flows import Notice

from .models import Delegation, Employee
from .services import hr_scope_units, is_hr_for
from .writes import snapshot

FIELDS = ("delegator", "delegate", "start", "end", "reason")


def _may_manage(user, delegator: Employee) -> bool:
    """The delegator themselves, or HR of the delegator's unit."""
    if delegator.user_id == user.pk:
        return True
    return delegator.position is not None and is_hr_for(user, [delegator.position.unit])


def delegation_create(*, actor, delegate: Employee, start: datetime.date, end: datetime.date, reason: str,
                      delegator: Employee | None = None, origin: dict | None = None) -> Delegation:
    """The delegator (or HR of their unit) hands their tasks to ``delegate`` from ``start`` to
    ``end``: one audit event on the delegation's chain; the delegate is notified."""
    delegator = delegator or getattr(actor, "employee", None)
    if delegator is None:
        raise ValidationError({"delegator": [_("Only an employee can delegate their tasks.")]})
    if not _may_manage(actor, delegator):
        raise NotPermitted(_("Only the employee or HR of their unit may delegate their tasks."))
    errors = {}
    if delegate.pk == delegator.pk:
        errors["delegate"] = [_("Delegate to someone else.")]
    elif not delegate.is_active or delegate.user_id is None:
        errors["delegate"] = [_("The delegate must be an active employee with a user account.")]
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
