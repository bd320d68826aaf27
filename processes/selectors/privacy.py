"""What of an assessment each reader may see: the one rule the API and the pages both apply.

An assessment's result (the ratings, the BerAKHLAK values, the predicate, who changed it and
from what, the rater's note) is the rater's and the calibration forum's work until the forum
issues it. Until then:

- its own employee sees none of it, nor does whoever stands in for them (a delegate): not on the
  assessment, not in a list, not on a unit review's board (a leader at the top of a cycle's scope
  reads the review that holds their own assessment), not in its history (the events' data and
  comments), not in a notification;
- the people who judge it see all of it: the rater and the rater's superior (in person or
  standing in), the forum, HR and the ratifying official, and a superuser; on a document of their
  own, a person is its employee only (nobody judges their own document);
- someone who reads the unit review only for the pattern's sake (the rater of another employee
  in it, the leader who sets its predicate without judging this assessment) sees the ratings and
  the predicate on the board, never the rater's note or the values (``NOTE_FIELDS``).

From the issue on, the employee sees the whole result, the rater's note included, as the
assessment page shows it. ``Access`` names the three levels; ``withheld_fields`` what each hides;
``shown`` gives the copy of the assessment a reader may see, for a serializer or a template.
tests/test_issue14_results_private.py compares, role by role and state by state, what the API
returns with what the pages show.
"""

from __future__ import annotations

import copy
import enum
from typing import Iterable

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from .. import roles
from ..models import Assessment, UnitReview
from ..roles import Viewer

Status = Assessment.Status
# The forum has issued the result: from here on its employee sees it.
RESULT_SHOWN = (Status.ISSUED, Status.OBJECTED, Status.FINAL, Status.RATIFIED)
# The result's fields and what each reads as when withheld (as a result not given yet).
RESULT_FIELDS = {
    "results_rating": "", "behaviour_rating": "", "behaviour_values": dict, "note": "", "rated_predicate": "",
    "predicate": "", "changed_by": "", "previous_predicate": "",
}
# What a reader of the review alone does not see of the others' assessments.
NOTE_FIELDS = ("note", "behaviour_values")
# Who judges an assessment, and so sees its result at every step.
JUDGES = (roles.RATER_ROLE, roles.RATERS_SUPERIOR_ROLE, roles.FORUM_ROLE, roles.HR_ROLE, roles.RATIFYING_OFFICIAL_ROLE)


class Access(enum.Enum):
    FULL = "full"  # the whole result
    BOARD = "board"  # the ratings and the predicate, not the note nor the values
    WITHHELD = "withheld"  # no result at all (its employee, before the issue)


def withheld_fields(access: Access) -> tuple[str, ...]:
    if access is Access.WITHHELD:
        return tuple(RESULT_FIELDS)
    if access is Access.BOARD:
        return NOTE_FIELDS
    return ()


def _judged_by(viewer: Viewer) -> Q:
    """The assessments the viewer judges: a judge's role on them, and not their own."""
    condition = roles.any_of(viewer, Assessment, JUDGES)
    if viewer.employee_id is not None:
        condition &= ~Q(employee_id=viewer.employee_id)
    return condition


def result_condition(user) -> Q:
    """A Q selecting the assessments whose result ``user`` may see (the issued ones of theirs,
    and those they judge): the list face of ``result_visible``."""
    viewer = Viewer.of(user)
    own = Q(employee_id=viewer.employee_id) if viewer.employee_id is not None else roles.NOTHING
    if viewer.is_superuser:
        return ~own | Q(status__in=RESULT_SHOWN)
    return Q(status__in=RESULT_SHOWN) | _judged_by(viewer)


def with_result_access(queryset: QuerySet[Assessment], user) -> QuerySet[Assessment]:
    """The queryset with ``result_visible`` on each row, computed in the same query."""
    return queryset.annotate(result_visible=Case(When(result_condition(user), then=Value(True)), default=Value(False),
                                                 output_field=BooleanField()))


def result_visible(assessment: Assessment, user) -> bool:
    """Whether ``user`` may see this assessment's result (read from ``with_result_access``'s
    annotation when the assessment came with it, else asked in one query)."""
    known = getattr(assessment, "result_visible", None)
    if known is not None:
        return bool(known)
    if assessment.status in RESULT_SHOWN:
        return True
    return Assessment.objects.filter(result_condition(user), pk=assessment.pk).exists()


def access_to(assessment: Assessment, user) -> Access:
    """On the assessment itself (its page, its API detail or list): full, or withheld. (Whoever
    may open an assessment holds a role on it, so the board's middle level does not arise.)"""
    return Access.FULL if result_visible(assessment, user) else Access.WITHHELD


def board_access(review: UnitReview, assessments: Iterable[Assessment], user) -> dict[int, Access]:
    """On a unit review's board, each assessment's level for ``user``: full where they see the
    result of the assessment itself, withheld where it is their own (or they stand in for its
    employee) before the issue, and the board's level for the rest. Two queries."""
    from .visibility import assessments_visible_to

    ids = [a.pk for a in assessments]
    if not ids:
        return {}
    full = set(Assessment.objects.filter(result_condition(user), pk__in=ids).values_list("pk", flat=True))
    opened = set(assessments_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    levels = {}
    for pk in ids:
        if pk in full:
            levels[pk] = Access.FULL
        elif pk in opened:  # they open it only as its employee (or the employee's delegate)
            levels[pk] = Access.WITHHELD
        else:
            levels[pk] = Access.BOARD
    return levels


def shown(assessment: Assessment, access: Access) -> Assessment:
    """The assessment as a reader of ``access`` sees it: a copy whose withheld fields read as not
    given yet (never saved: the copy is for a serializer or a template)."""
    hidden = withheld_fields(access)
    if not hidden:
        return assessment
    visible = copy.copy(assessment)
    for name in hidden:
        blank = RESULT_FIELDS[name]
        setattr(visible, name, blank() if callable(blank) else blank)
    visible.save = _refuse_save
    return visible


def _refuse_save(*args, **kwargs):
    raise RuntimeError("an assessment shown without its withheld fields is never saved")


def history_shown(document, events: Iterable, user) -> list:
    """A document's audit events as ``user`` may read them. The events of an assessment whose
    result is withheld from them carry the ratings (a rating's before and after, an adjustment's
    predicates, the reasons): each keeps its step, actor and time, without data or comment
    (``redacted``). On a unit review, so do the events about such an assessment (the forum's
    adjustments)."""
    events = list(events)
    if isinstance(document, Assessment):
        if result_visible(document, user):
            return events
        return [_redacted(event) for event in events]
    if isinstance(document, UnitReview):
        about = {event.data.get("assessment") for event in events if isinstance(event.data, dict)} - {None}
        if not about:
            return events
        assessments = list(Assessment.objects.filter(unit_review=document, pk__in=[pk for pk in about if isinstance(pk, int)]))
        withheld = {pk for pk, level in board_access(document, assessments, user).items() if level is Access.WITHHELD}
        return [_redacted(event) if isinstance(event.data, dict) and event.data.get("assessment") in withheld else event
                for event in events]
    return events


def _redacted(event):
    visible = copy.copy(event)
    visible.data, visible.comment, visible.redacted = {}, "", True
    visible.save = _refuse_save
    return visible


def notifications_withheld(notifications: Iterable, user) -> set[int]:
    """The ids of the user's notifications about an assessment whose result they may not see yet:
    their data must not name it (none is sent before the issue today; this keeps a future notice
    from leaking one). One query."""
    notifications = list(notifications)
    about = {n.document_id for n in notifications if n.document_type == Assessment.document_type and n.document_id}
    if not about:
        return set()
    hidden = set(Assessment.objects.filter(pk__in=about).exclude(result_condition(user)).values_list("pk", flat=True))
    return {n.pk for n in notifications if n.document_type == Assessment.document_type and n.document_id in hidden}


# The keys of a notice's data that name a result (processes/flows/assessment.py notices).
RESULT_DATA_KEYS = ("predicate", "results_rating", "behaviour_rating", "from", "to", "comment")


def board_summary_shown(review: UnitReview, data: dict, levels: dict[int, Access]) -> dict:
    """The board's summary (processes.services.scoring.board) as a reader may see it. When a
    result the pattern counts is withheld from them (their own, before the issue: HR of their own
    unit, a forum member of it), the distribution and the pattern's passes and departures would
    tell it by subtraction from the rows they see: the distribution then counts the others only,
    and the pattern is not shown to them until the issue."""
    withheld = {pk for pk, level in levels.items() if level is Access.WITHHELD}
    counted = [a for a in data["assessments"] if a.predicate and a.led_review_id != review.pk]  # as board() counts
    if not any(a.pk in withheld for a in counted):
        return data
    scored = [a.predicate for a in counted if a.pk not in withheld]
    return {**data, "distribution": {code: scored.count(code) for code in data["distribution"]}, "total": len(scored),
            "pattern": [], "departures": []}
