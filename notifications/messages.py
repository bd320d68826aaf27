"""The text of each event, in the recipient's language (Indonesian or English)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "plan.submitted": _("%(employee)s submitted a performance plan (SKP) %(year)s for your approval."),
    "plan.approved": _("Your performance plan (SKP) %(year)s was approved."),
    "plan.returned": _("Your performance plan (SKP) %(year)s was returned for revision: %(comment)s"),
    "plan.amended": _("%(employee)s is amending the approved performance plan (SKP) %(year)s: %(comment)s"),
    "cycle.opened": _("The performance cycle %(year)s is open: draft your performance plan (SKP)."),
    "cycle.ready": _("Cycle %(name)s is open: %(plans)s plans were created."),
    "member.rater_changed": _("You are now the rater of %(employee)s for the cycle %(year)s."),
}


class _Default(dict):
    def __missing__(self, key):
        return "…"


def render(event: str, data: dict, language: str | None = None) -> str:
    template = MESSAGES.get(event)
    with translation.override(language or translation.get_language()):
        if template is None:
            return str(event)
        return str(template) % _Default(data or {})
