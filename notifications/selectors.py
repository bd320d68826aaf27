"""Reads of deliveries shared by the API and HR's page: the deliveries HR may see and resend."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from org.models import RoleAssignment
from org.services import hr_scope_units

from .models import Delivery


def deliveries_for_hr(user) -> QuerySet[Delivery]:
    """The deliveries of HR's own agency: e-mails to people whose position lies in HR's scope,
    and webhook deliveries of endpoints registered by HR of a unit in that scope. Nobody else's
    (a superuser: all). Newest first."""
    deliveries = Delivery.objects.select_related("notification__recipient", "endpoint").order_by("-created_at", "-pk")
    if user.is_superuser:
        return deliveries
    units = hr_scope_units(user)
    registrars = RoleAssignment.objects.filter(role=RoleAssignment.Role.HR, unit__in=units).values("user_id")
    return deliveries.filter(
        Q(endpoint__isnull=True, notification__recipient__employee__position__unit__in=units)
        | Q(endpoint__created_by__in=registrars)
    )


def deliveries_listed(user, *, status: str | None = None) -> QuerySet[Delivery]:
    """HR's list, optionally of one status (``failed``: what waits for a resend)."""
    deliveries = deliveries_for_hr(user)
    return deliveries.filter(status=status) if status else deliveries
