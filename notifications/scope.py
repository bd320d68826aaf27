"""Which agency an event belongs to: the units of its document, so that a webhook endpoint
receives only the events of documents within its scope (``WebhookEndpoint.unit``).

The outbox knows a notification's document by its type and id only (``document_type``, the
name of the document's audit chain). Each audited record's units are reached by a lookup to
``Unit.path``; a record with a ``unit`` field needs no entry here, the others are listed in
``SCOPE_LOOKUPS``. A record whose units cannot be found (unknown type, deleted since) belongs to
no agency: only installation-wide endpoints receive its events (fail closed). A notice about no
document (a reminder of several) belongs to its recipient's unit.
tests/notifications/test_issue14_webhook_scope.py checks that every audited record type resolves.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Iterable

from django.apps import apps

# document_type -> lookups from the record to the paths of the units it belongs to; () declares a
# record that belongs to no agency (its events go to installation-wide endpoints only).
SCOPE_LOOKUPS: dict[str, tuple[str, ...]] = {
    "unit": ("path",),
    "cycle": ("units__path",),  # a cycle belongs to every agency it covers
    "acting_assignment": ("position__unit__path",),
    "delegation": ("delegator__position__unit__path",),
    "feedback_request": ("assessment__unit__path",),
    "objection": ("member__unit__path",),
    "public_link": ("unit__path",),
    "api_token": ("user__employee__position__unit__path", "user__service_account__unit__path"),
    "delivery": (),  # a resend's event: HR's own action on its delivery, never an outbox event
    "login_lockout": (),  # an address or a user name locked out of signing in: no agency's
}


@cache
def audited_models() -> dict[str, type]:
    """Every model that names an audit chain (``document_type``): documents and org records."""
    return {model.document_type: model for model in apps.get_models() if isinstance(getattr(model, "document_type", None), str)}


def declared(document_type: str) -> bool:
    """Whether the record type says where it belongs (in SCOPE_LOOKUPS, or by a ``unit`` field)."""
    return document_type in SCOPE_LOOKUPS or bool(scope_lookups(document_type))


def scope_lookups(document_type: str) -> tuple[str, ...]:
    if document_type in SCOPE_LOOKUPS:
        return SCOPE_LOOKUPS[document_type]
    model = audited_models().get(document_type)
    if model is not None and any(field.name == "unit" and field.is_relation for field in model._meta.get_fields()):
        return ("unit__path",)
    return ()


def document_paths(documents: Iterable[tuple[str, int | None]]) -> dict[tuple[str, int], set[str]]:
    """The unit paths of each (document_type, document_id): one query per type and lookup."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for document_type, document_id in documents:
        if document_type and document_id is not None:
            wanted[document_type].add(document_id)
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    for document_type, ids in wanted.items():
        model = audited_models().get(document_type)
        if model is None:
            continue
        for lookup in scope_lookups(document_type):
            rows = model._default_manager.filter(pk__in=ids).values_list("pk", lookup)
            for pk, path in rows:
                if path:
                    found[(document_type, pk)].add(path)
    return found


def recipient_paths(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """The unit path of each user's position, for a notice about no document (one query)."""
    from org.models import Employee

    ids = set(user_ids)
    if not ids:
        return {}
    rows = Employee.objects.filter(user_id__in=ids, position__isnull=False).values_list("user_id", "position__unit__path")
    return {user_id: {path} for user_id, path in rows}


def within(endpoint_path: str | None, paths: set[str]) -> bool:
    """An endpoint of scope ``endpoint_path`` (None: the installation) covers a document of
    units ``paths``: one of them lies at or below the scope's unit."""
    if endpoint_path is None:
        return True
    return any(path.startswith(endpoint_path) for path in paths)
