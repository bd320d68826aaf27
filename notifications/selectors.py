"""Reads shared by the API and HR's pages: the webhooks and deliveries HR may see, deactivate and resend."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from org.services import hr_scope_units

from .models import Delivery, WebhookEndpoint


def webhooks_for_hr(user) -> QuerySet[WebhookEndpoint]:
    """The active endpoints of HR's own agency: those whose scope lies within HR's scope (an
    installation-wide one, a superuser's only). Anyone else's do not exist for them (404)."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True).select_related("unit").order_by("id")
    if user.is_superuser:
        return endpoints
    return endpoints.filter(unit__in=hr_scope_units(user))


def deliveries_for_hr(user) -> QuerySet[Delivery]:
    """The deliveries of HR's own agency: e-mails to people whose position lies in HR's scope,
    and webhook deliveries of endpoints whose scope lies within it. Nobody else's (a superuser:
    all). Newest first."""
    deliveries = Delivery.objects.select_related("notification__recipient", "endpoint").order_by("-created_at", "-pk")
    if user.is_superuser:
        return deliveries
    units = hr_scope_units(user)
    return deliveries.filter(
        Q(endpoint__isnull=True, notification__recipient__employee__position__unit__in=units)
        | Q(endpoint__unit__in=units)
    )


def deliveries_listed(user, *, status: str | None = None) -> QuerySet[Delivery]:
    """HR's list, optionally of one status (``failed``: what waits for a resend)."""
    deliveries = deliveries_for_hr(user)
    return deliveries.filter(status=status) if status else deliveries
