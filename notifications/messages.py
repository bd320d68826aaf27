"""The text of each event, in the recipient's language (Indonesian or English)."""

from __future__ import annotations

import datetime

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "plan.submitted": _("%(employee)s submitted a performance plan (SKP) %(year)s for your approval."),
    "plan.approved": _("Your performance plan (SKP) %(year)s was approved."),
    "plan.returned": _("Your performance plan (SKP) %(year)s was returned for revision: %(comment)s"),
    "plan.amended": _("%(employee)s is amending the approved performance plan (SKP) %(year)s: %(comment)s"),
    "cycle.opened": _("The performance cycle %(year)s is open: draft your performance plan (SKP)."),
    "cycle.ready": _("Cycle %(name)s is open: %(plans)s plans were created."),
    "member.rater_changed": _("You are now the rater of %(employee)s for the cycle %(year)s."),
    "report.submitted": _("%(employee)s submitted the monthly report %(month)s/%(year)s."),
    "report.accepted": _("Your monthly report %(month)s/%(year)s was accepted. %(comment)s"),
    "report.returned": _("Your monthly report %(month)s/%(year)s was returned for correction: %(comment)s"),
    "unit_review.ready": _("The predicate of %(unit)s (%(period)s %(year)s) is set: %(predicate)s. The forum can review the unit."),
    "assessment.issued": _("Your performance result %(period)s %(year)s is issued: %(predicate)s. You may object until %(deadline)s."),
    "assessment.adjusted": _(
        "The forum changed the ratings of %(employee)s (%(period)s %(year)s); the predicate is now %(predicate)s: %(comment)s"
    ),
    "assessment.objection_decided": _(
        "The objection of %(employee)s (%(period)s %(year)s) is decided; the final predicate is %(predicate)s."
    ),
    "assessment.ratified": _("Your performance result %(period)s %(year)s is ratified: %(predicate)s."),
    "objection.filed": _("%(employee)s objects to the result %(period)s %(year)s; you decide the objection."),
    "objection.explanation_requested": _("%(employee)s objects to the result %(period)s %(year)s; give your explanation."),
    "feedback.requested": _("Please give your feedback on the work behaviour of %(employee)s (%(period)s %(year)s) by %(due)s."),
    "task.reminder": _("Reminder: %(document)s awaits you (%(actions)s) by %(due)s."),
    "task.due_today": _("Due today: %(document)s awaits you (%(actions)s)."),
    "task.escalated": _("Overdue since %(due)s: %(document)s still awaits %(assignee)s (%(actions)s)."),
    "delegation.started": _("%(delegator)s delegated their tasks to you from %(start)s to %(end)s: %(reason)s"),
    "delegation.ended": _("The delegation of %(delegator)s's tasks to you has ended."),
    "acting.started": _("You are appointed %(kind)s of %(position)s from %(start)s to %(end)s."),
    "acting.ended": _("Your appointment as %(kind)s of %(position)s ends on %(end)s."),
    "role.granted": _("You now hold the role %(role)s over %(unit)s."),
    "role.revoked": _("You no longer hold the role %(role)s over %(unit)s."),
    "member.rater_removed": _("You are no longer the rater of %(employee)s for the cycle %(year)s."),
    "objection.decided": _("Your objection to the result %(period)s %(year)s is decided: %(outcome)s."),
    # A plan period started or ended by a join, a move or a leave (processes/services/membership.py):
    # ``plan.period_*`` to the employee, ``member.*`` to the plan's rater (the old plan's rater
    # hears "ended" on a move, the new plan's rater "move").
    "plan.period_join": _("You joined the performance cycle %(year)s on %(start)s: draft your performance plan (SKP) "
                          "for %(start)s to %(end)s."),
    "plan.period_move": _("Your position changed on %(start)s: draft your new performance plan (SKP) %(year)s "
                          "for %(start)s to %(end)s with your new rater."),
    "plan.period_ended": _("Your performance plan (SKP) %(year)s for %(start)s to %(end)s has ended; "
                           "its rater evaluates that period."),
    "member.join": _("%(employee)s joined the cycle %(year)s on %(start)s and you are their rater: "
                     "their performance plan (SKP) covers %(start)s to %(end)s."),
    "member.move": _("%(employee)s moved on %(start)s to a position you rate: you are the rater of their new "
                     "performance plan (SKP) %(year)s (%(start)s to %(end)s)."),
    "member.ended": _("The performance plan (SKP) %(year)s of %(employee)s, whom you rate, ended on %(end)s "
                      "(%(ended)s): you evaluate it for %(start)s to %(end)s."),
}
# Events whose dates a person reads ("1 Juli 2026", "1 July 2026"); their data keeps ISO dates
# for webhooks and the API.
LONG_DATES = {
    "plan.period_join": ("start", "end"), "plan.period_move": ("start", "end"), "plan.period_ended": ("start", "end"),
    "member.join": ("start", "end"), "member.move": ("start", "end"), "member.ended": ("start", "end"),
}


class _Default(dict):
    def __missing__(self, key):
        return "…"


def long_date(value) -> str:
    """An ISO date as written in the active language ("1 Juli 2026"); anything else as it is."""
    try:
        day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))
    except ValueError:
        return value
    return date_format(day, "j F Y")


# How a plan's period ended, in the old rater's message (older notices carry no "ended").
ENDED = {"move": _("the employee moved"), "leave": _("the employee left"), "move_or_leave": _("a move or a leave")}


def render(event: str, data: dict, language: str | None = None) -> str:
    template = MESSAGES.get(event)
    with translation.override(language or translation.get_language()):
        if template is None:
            return str(event)
        values = dict(data or {})
        for key in LONG_DATES.get(event, ()):
            if values.get(key):
                values[key] = long_date(values[key])
        if event == "member.ended":
            values["ended"] = str(ENDED.get(values.get("ended"), ENDED["move_or_leave"]))
        return str(template) % _Default(values)
