"""Delegations: a role holder's open tasks go to another employee for a date range."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify_bulk
from workflow import audit
from workflow.errors import InvalidTransition, NotPermitted
from workflow.flows import Notice

from .models import Delegation, Employee
from django.db.models import Q

from .services import hr_scope_units, is_hr_for


def _may_manage(user, delegator: Employee) -> bool:
    """The delegator themselves, or HR of the delegator's unit."""
    if delegator.user_id == user.pk:
        return True
    return delegator.position is not None and is_hr_for(user, [delegator.position.unit])


def delegation_create(*, actor, delegate: Employee, start: datetime.date, end: datetime.date, reason: str,
                      delegator: Employee | None = None, origin: dict | None = None) -> Delegation:
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
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason (leave, duty travel, ...).")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        delegation = Delegation.objects.create(delegator=delegator, delegate=delegate, start=start, end=end,
                                               reason=reason.strip(), created_by=actor)
        audit.append(document_type="delegation", document_id=delegation.pk, action="create", actor_id=actor.pk,
                     comment=delegation.reason, data={"delegator": delegator.pk, "delegate": delegate.pk,
                                                      "start": start.isoformat(), "end": end.isoformat()}, origin=origin)
        notify_bulk([(Notice(delegate.user_id, "delegation.started", {
            "delegator": delegator.name, "start": start.isoformat(), "end": end.isoformat(), "reason": delegation.reason,
        }), "delegation", delegation.pk)])
    return delegation


def delegation_end(*, delegation: Delegation, actor, origin: dict | None = None) -> Delegation:
    """End a delegation early (today)."""
    if not _may_manage(actor, delegation.delegator):
        raise NotPermitted(_("Only the delegator or HR of their unit may end the delegation."))
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().select_related("delegator", "delegate").get(pk=delegation.pk)
        if delegation.ended_at is not None or delegation.end < timezone.localdate():
            raise InvalidTransition(_("The delegation is already over."))
        delegation.ended_at = timezone.now()
        delegation.save(update_fields=["ended_at"])
        audit.append(document_type="delegation", document_id=delegation.pk, action="end", actor_id=actor.pk, origin=origin)
        notify_bulk([(Notice(delegation.delegate.user_id, "delegation.ended", {"delegator": delegation.delegator.name}),
                      "delegation", delegation.pk)])
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
