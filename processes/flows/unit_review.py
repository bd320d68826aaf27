"""A unit's review for a period: the leader one level above sets the unit's predicate, the
forum calibrates and approves (issuing the results), the ratifying official ratifies."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow import fsm

from workflow.flows import Authorization, Edit, Flow, Notice, TaskSpec, action, document_state

from .. import distribution, roles
from ..models import Assessment, CycleRole, UnitReview
from .base import FORUM, PREDICATE_SETTER, RATIFYING_OFFICIAL, days_from_now, end_of_day, task

Status = UnitReview.Status


class UnitReviewFlow(Flow):
    model = UnitReview
    state = document_state(Status, default=Status.OPEN)
    # A composite action locks the review before its assessments (workflow.locking.lock_documents).
    lock_level = 1
    # The forum's adjustment of one assessment is recorded on (and serialised by) the review.
    edits = {"adjust": Edit(states=(Status.SCORING,), role=FORUM,
                            refusal=gettext_lazy("Only the calibration forum of this unit may do this."))}

    @classmethod
    def lock_queryset(cls):
        return UnitReview.objects.select_related("cycle", "unit", "evaluation", "predicate_setter")

    def authorize(self, user, role: str) -> Authorization | None:
        return roles.authorize(user, role, self.document)

    def _statuses(self) -> dict[str, int]:
        rows = Assessment.objects.filter(unit_review=self.document).values_list("status")
        counts: dict[str, int] = {}
        for (status,) in rows:
            counts[status] = counts.get(status, 0) + 1
        return counts

    def all_submitted(self):
        # A review may hold no assessment (a unit with only its leader, who is calibrated in the
        # review above): the forum's approval then confirms the unit's predicate alone.
        counts = self._statuses()
        if counts.get(Assessment.Status.DRAFT):
            return fsm.State.CONDITION(
                False, _("%(count)s assessment(s) of the unit are not submitted yet.") % {"count": counts[Assessment.Status.DRAFT]}
            )
        return fsm.State.CONDITION(True)

    def all_final(self):
        counts = self._statuses()
        pending = sum(n for status, n in counts.items() if status != Assessment.Status.FINAL)
        if pending:
            return fsm.State.CONDITION(False, _("%(count)s result(s) of the unit are not final yet.") % {"count": pending})
        return fsm.State.CONDITION(True)

    @action(state, source=[Status.OPEN, Status.SCORING], target=Status.SCORING, role=PREDICATE_SETTER,
            label=gettext_lazy("Set the unit predicate"))
    def set_unit_predicate(self):
        self.set(unit_predicate=self.ctx.data["unit_predicate"])

    @action(state, source=Status.SCORING, target=Status.ISSUED, role=FORUM, conditions=[all_submitted],
            label=gettext_lazy("Approve"))
    def approve(self):
        """The departures from the pattern are decided here, with the review and its assessments
        locked (``unit_review_approve`` locks them first): an adjustment cannot slip in between
        the check and the issue, and the audit event records the departures issued."""
        justification = self.ctx.data.get("justification", "")
        departures = [c.description for c in pattern_checks(self.document, scored_predicates(self.document)) if not c.passes]
        if departures and not justification:
            raise ValidationError({"justification": [
                _("The results depart from the distribution pattern (%(rules)s): justify the departure.") % {"rules": "; ".join(departures)}
            ]})
        self.ctx.data["departures"] = departures
        self.set(approved_at=timezone.now(), justification=justification)

    @action(state, source=Status.ISSUED, target=Status.RATIFIED, role=RATIFYING_OFFICIAL, conditions=[all_final],
            label=gettext_lazy("Ratify"))
    def ratify(self):
        self.set(ratified_at=timezone.now())

    def open_tasks(self) -> list[TaskSpec]:
        review, rules = self.document, self.document.cycle.rules
        if review.status == Status.OPEN and review.predicate_setter_id:
            return [task(rules, role=PREDICATE_SETTER, actions=["set_unit_predicate"], assignee_id=review.predicate_setter.user_id,
                             position_id=review.predicate_setter_position_id, unit_id=review.unit_id,
                             due_at=days_from_now(rules["scoring_days"], rules))]
        if review.status == Status.SCORING:
            due = end_of_day(timezone.localdate(review.evaluation.created_at)
                             + datetime.timedelta(days=rules["scoring_days"] + rules["forum_days"]))
            return [task(rules, role=FORUM, actions=["adjust", "approve"], assignee_id=user_id, unit_id=review.unit_id, due_at=due)
                    for user_id in forum_members(review)]
        if review.status == Status.ISSUED:
            window = rules["objection_window"]["days"] + (rules["objection_window"]["day_kind"] == "working") * 10
            return [task(rules, role=RATIFYING_OFFICIAL, actions=["ratify"], assignee_id=user_id, unit_id=review.unit_id,
                             due_at=days_from_now(window + rules["ratification_days"], rules))
                    for user_id in CycleRole.objects.filter(cycle_id=review.cycle_id, role="ratifying_official")
                                                    .values_list("user_id", flat=True)]
        return []

    def notices(self, action: str, from_state: str) -> list[Notice]:
        review = self.document
        data = {"unit": review.unit.name, "period": review.get_period_display(), "year": review.cycle.year,
                "predicate": review.get_unit_predicate_display()}
        if action == "set_unit_predicate":
            return [Notice(user_id, "unit_review.ready", data) for user_id in forum_members(review)]
        return []


def scored_predicates(review: UnitReview) -> list[str]:
    """The predicates the unit's pattern measures, as the database holds them now."""
    return [p for p in in_pattern(Assessment.objects.filter(unit_review=review), review).values_list("predicate", flat=True) if p]


def in_pattern(assessments, review: UnitReview):
    """The pattern measures the employees below the unit's leader (SE MenPANRB 3/2023): never a
    leader whose results follow this review's own predicate (the top of the cycle's scope, whose
    review has no unit above it in the cycle)."""
    return assessments.exclude(led_review=review)


def pattern_checks(review: UnitReview, predicates: list[str]) -> list[distribution.RuleCheck]:
    """Each rule of the distribution pattern of the unit's predicate, checked (none while it is unset)."""
    if not review.unit_predicate:
        return []
    rules = review.cycle.rules
    return distribution.check(rules["distribution"].get(review.unit_predicate, []), predicates,
                              most=rules.get("most_reading", "majority"))


def forum_members(review: UnitReview) -> list[int]:
    codes = [code for code in review.unit.path.split("/") if code]
    return list(
        CycleRole.objects.filter(cycle_id=review.cycle_id, role="forum_member", unit__code__in=codes)
        .values_list("user_id", flat=True).distinct()
    )
