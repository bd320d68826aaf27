"""HR's webhook endpoints: registered in an agency scope, checked, deactivated, and matched to
the events they may receive.

An endpoint belongs to a unit (``WebhookEndpoint.unit``, the registering HR's unit): it receives
only the events of documents at or below that unit (notifications.scope), and only HR whose scope
holds that unit sees or deactivates it (notifications.selectors.webhooks_for_hr). An endpoint
without a unit is the whole installation's: only a superuser or the system registers one.
"""

from __future__ import annotations

import re
import secrets

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from org.models import Unit
from org.services import hr_roots, hr_scope_units, is_hr
from workflow.errors import NotPermitted

from .messages import MESSAGES
from .models import WebhookEndpoint
from .scope import document_paths, recipient_paths, within
from .selectors import webhooks_for_hr
from .webhooks import registration_problem

# The cached list's shape is part of the key: a deploy that changes it must not read old entries.
ENDPOINTS_CACHE_KEY = "kinerja:webhook-endpoints:scoped"
URL_MAX = 500
TIMEOUT_DEFAULT, TIMEOUT_MAX = 5, 10
# What an event name is made of (MESSAGES' keys): a name with anything else (a NUL, a control
# character) is refused without being echoed back.
EVENT_NAME = re.compile(r"[a-z0-9_.]{1,60}")


def active_endpoints() -> list[tuple[int, list[str], str | None]]:
    """(id, event names, scope's unit path or None) of every active endpoint, cached a minute."""
    endpoints = cache.get(ENDPOINTS_CACHE_KEY)
    if endpoints is None:
        endpoints = [tuple(row) for row in WebhookEndpoint.objects.filter(is_active=True).values_list("pk", "events", "unit__path")]
        cache.set(ENDPOINTS_CACHE_KEY, endpoints, 60)
    return endpoints


def forget_endpoints() -> None:
    cache.delete(ENDPOINTS_CACHE_KEY)


def endpoints_for(notifications: list[tuple[int, str, str, int | None, int]]) -> dict[int, list[int]]:
    """For (id, event, document_type, document_id, recipient) notifications: the ids of the active
    endpoints each goes to, those that want its event and whose scope holds its document (a
    notice about no document: its recipient's unit). The units are read only when some endpoint
    has a scope, and only for the notifications a scoped endpoint wants (one query per document
    type, one for the recipients)."""
    endpoints = active_endpoints()
    paths: dict = {}
    scoped = [events for _pk, events, path in endpoints if path is not None]
    wanted = [n for n in notifications if any(not events or n[1] in events for events in scoped)]
    if wanted:
        paths = document_paths((kind, document) for _pk, _event, kind, document, _recipient in wanted)
        paths.update(recipient_paths(recipient for _pk, _event, kind, _document, recipient in wanted if not kind))
    return {
        pk: [endpoint for endpoint, events, scope in endpoints
             if (not events or event in events) and within(scope, paths.get((kind, document) if kind else recipient, set()))]
        for pk, event, kind, document, recipient in notifications
    }


def webhook_check(*, url, events, timeout_seconds=TIMEOUT_DEFAULT) -> tuple[str, list[str], int]:
    """The rules of an endpoint (the API and HR's page refuse alike): an http(s) URL of at most
    500 characters that does not resolve to a loopback, private or link-local address (unless
    the settings allow it), known event names (none: every event), and a timeout of 1 to 10
    seconds (a receiver slower than that holds a webhook worker for nothing: its events are
    retried)."""
    errors: dict[str, list[str]] = {}
    url = url.strip() if isinstance(url, str) else ""
    if len(url) > URL_MAX:
        errors["url"] = [_("Write at most %(max)s characters (%(length)s given).") % {"max": URL_MAX, "length": len(url)}]
    else:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors["url"] = [_("An http(s) URL.")]
        else:
            problem = registration_problem(url)
            if problem:
                errors["url"] = [problem]
    events = [] if events is None else events
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        errors["events"] = [_("A list of event names (empty for all).")]
    elif not all(EVENT_NAME.fullmatch(e) for e in events):
        errors["events"] = [_("An event name is made of lower-case letters, digits, dots and underscores.")]
    else:
        unknown = sorted({e for e in events if e not in MESSAGES})
        if unknown:
            errors["events"] = [_("Unknown events: %(names)s.") % {"names": ", ".join(unknown[:10])}]
    if timeout_seconds is None:
        timeout_seconds = TIMEOUT_DEFAULT
    if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, int) or not 1 <= timeout_seconds <= TIMEOUT_MAX:
        errors["timeout_seconds"] = [_("A whole number of seconds from 1 to %(max)s.") % {"max": TIMEOUT_MAX}]
    if errors:
        raise ValidationError(errors)
    return url, list(dict.fromkeys(events)), timeout_seconds


def _scope_of(actor, unit_id) -> Unit | None:
    """The unit an endpoint is registered for: the one asked for, which must lie within the
    registering HR's scope (any unit, for a superuser or the system), or by default HR's own unit
    when they hold HR of one only; a superuser or the system without one: the installation."""
    if unit_id is not None:
        units = Unit.objects.all() if actor is None or actor.is_superuser else hr_scope_units(actor)
        unit = units.filter(pk=unit_id).first() if isinstance(unit_id, int) and not isinstance(unit_id, bool) else None
        if unit is None:  # another agency's unit and no unit at all are told alike
            raise ValidationError({"unit": [_("Choose a unit of your HR scope.")]})
        return unit
    if actor is None or (actor.is_superuser and not hr_roots(actor).exists()):
        return None
    roots = list(hr_roots(actor)[:2])
    if len(roots) != 1:
        raise ValidationError({"unit": [_("You are HR of several units: choose the one whose events this webhook receives.")]})
    return roots[0]


def webhook_register(*, actor, url: str, events: list[str], timeout_seconds: int | None = None, unit_id: int | None = None,
                     origin: dict | None = None) -> WebhookEndpoint:
    """HR registers an endpoint in its agency scope; its secret is generated here and shown to HR
    once. ``actor`` None is the system (a command, the benchmarks). Audited on the endpoint's chain."""
    from workflow.engine import record  # here: the engine itself writes through notifications.services
    if actor is not None and not is_hr(actor):
        raise NotPermitted(_("Only HR manages webhooks."))
    unit = _scope_of(actor, unit_id)
    url, events, timeout_seconds = webhook_check(url=url, events=events, timeout_seconds=timeout_seconds)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(url=url, events=events, secret=secrets.token_urlsafe(32), created_by=actor,
                                                  timeout_seconds=timeout_seconds, unit=unit)
        record(endpoint, "register", actor=actor, origin=origin, created=True,
               data={"url": url, "events": events, "timeout_seconds": timeout_seconds, "unit": unit.pk if unit else None})
        forget_endpoints()  # for what this transaction does next (it reads its own writes)
        transaction.on_commit(forget_endpoints)  # a worker may have cached the list again before the commit
    return endpoint


def webhook_deactivate(*, actor, endpoint: WebhookEndpoint, origin: dict | None = None) -> WebhookEndpoint:
    """No more events go there, nor retries of earlier ones (the deliveries give up). Only HR of
    the endpoint's scope (or the system) may; audited on the endpoint's chain."""
    if actor is not None and not webhooks_for_hr(actor).filter(pk=endpoint.pk).exists():
        raise NotPermitted(_("Only HR of the webhook's agency may deactivate it."))
    from workflow.engine import record

    def change(locked: WebhookEndpoint) -> dict:
        if not locked.is_active:
            return {}
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        return {"changes": {"is_active": [True, False]}}

    with transaction.atomic():
        record(endpoint, "deactivate", actor=actor, origin=origin, change=change)
        forget_endpoints()
        transaction.on_commit(forget_endpoints)
    endpoint.refresh_from_db()
    return endpoint
