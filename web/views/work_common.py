"""What the employee's and the rater's pages share: finding the user's employee record, the
buttons of the actions a user may take, running an action, and errors shown in place."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from config.request_origin import request_origin
from processes.labels import core_values  # noqa: F401  (the pages import it from here)
from processes.models import Rating
from workflow.engine import perform

from ..actions import attempt
from ..document_history import document_context

RATING_CHOICES = Rating.choices


def employee_of(request):
    """The signed-in user's employee record; pages of one's own work do not exist without one."""
    employee = getattr(request.user, "employee", None)
    if employee is None:
        raise Http404()
    return employee


def buttons(document, allowed: list[str], names: tuple[str, ...]) -> list[dict]:
    """The buttons of ``names`` that the user may take now, with the flow's translated labels."""
    return [{"name": name, "label": document.flow_class.action_label(name)} for name in names if name in allowed]


def run_action(request, document, action: str, *, permitted: tuple[str, ...], comment: str = "", data: dict | None = None):
    """Take an engine action from a page's form: only the page's plain actions (an objection or an
    answer goes through its service); the engine refuses what the user may not do."""
    if action not in permitted:
        messages.error(request, _("Unknown action “%(action)s”.") % {"action": action[:50]})
        return {}
    label = document.flow_class.action_label(action)
    return attempt(
        request,
        lambda: perform(document, action, actor=request.user, comment=comment, data=data, origin=request_origin(request)),
        success=_("Done: %(action)s.") % {"action": label},
    )


def split_errors(errors: dict | None, fields: tuple[str, ...], rename: dict | None = None) -> tuple[dict, list]:
    """Field errors a template can show in place (``errors.comment``) and the others, shown at the
    top of the form (the "__all__" key cannot be read in a template)."""
    rename = rename or {}
    placed: dict[str, list] = {}
    general: list = []
    for key, found in (errors or {}).items():
        key = rename.get(key, key)
        if key in fields:
            placed.setdefault(key, []).extend(found)
        else:
            general.extend(found)
    return placed, general


def show(request, template: str, document, context: dict, *, status: int = 200):
    """A document page: the document, its history and its open tasks."""
    return render(request, template, {**document_context(document, request.user), **context}, status=status)


def field_messages(request, errors: dict) -> None:
    """Errors of a form that is not on the page it returns to: as messages."""
    for found in errors.values():
        for message in found:
            messages.error(request, message)
