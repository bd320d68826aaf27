"""The assessment: the rater scores, the forum calibrates and issues, the employee accepts or
objects within the window (or it lapses into final), the ratifying official ratifies."""

from __future__ import annotations

import datetime
from functools import cached_property

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow import fsm

from workflow.flows import SYSTEM, Comment, Edit, Notice, TaskSpec, action, document_state

from ..models import Assessment, UnitReview
from ..rules import objection_deadline, predicate_for
from .base import EMPLOYEE, FORUM, RATER, RATERS_SUPERIOR, RATIFYING_OFFICIAL, AppraisalFlow, end_of_day, task, today

Status = Assessment.Status


def leader_results_rating(rules: dict, unit_predicate: str) -> str:
    return rules["leader_results_rating"][unit_predicate]


class AssessmentFlow(AppraisalFlow):
    model = Assessment
    state = document_state(Status, default=Status.DRAFT)
    # The rater rates until submitting; the note is the rater's own words, kept out of the trail.
    edits = {"rate": Edit(states=(Status.DRAFT,), role=RATER,
                          refusal=gettext_lazy("Only the employee's rater may rate this assessment."))}
    unaudited_fields = frozenset({"note"})
    # Locked after its unit's review, before its objection (workflow.locking.lock_documents).
    lock_level = 2

    @classmethod
    def lock_queryset(cls):
        return Assessment.objects.select_related(
            "cycle", "unit_review", "led_review", "evaluation", "member", "member__employee", "member__rater",
            "member__raters_superior", "member__unit",
        )

    @cached_property
    def _reviews_now(self) -> dict:
        """The predicates of the reviews this assessment depends on (its own review's, and for a
        leader the led unit's), read after the assessment's lock: the copy that came with the
        lock is as of the moment the lock was asked for, and a predicate set while this
        submission waited would be missed (unit_review_set_predicate locks the leaders'
        assessments, so one set later waits for this submission and follows it)."""
        a = self.document
        ids = {a.unit_review_id, a.led_review_id} - {None}
        return dict(UnitReview.objects.filter(pk__in=ids).values_list("pk", "unit_predicate"))

    # Guards ---------------------------------------------------------------------------------
    def unit_predicate_set(self):
        a, predicates = self.document, self._reviews_now
        if not predicates[a.unit_review_id]:
            return fsm.State.CONDITION(False, _("The unit's predicate is not set yet; it comes first."))
        if a.is_unit_leader and not predicates.get(a.led_review_id):
            return fsm.State.CONDITION(False, _("The predicate of the unit this leader leads is not set yet; it comes first."))
        return fsm.State.CONDITION(True)

    def ratings_complete(self):
        a = self.document
        if not a.behaviour_rating or (not a.results_rating and not a.is_unit_leader):
            return fsm.State.CONDITION(False, _("Rate both the results and the behaviour before submitting."))
        return fsm.State.CONDITION(True)

    def under_forum_review(self):
        if self.document.unit_review.status != UnitReview.Status.SCORING:
            return fsm.State.CONDITION(False, _("The forum's review of this unit is over."))
        return fsm.State.CONDITION(True)

    def window_open(self):
        deadline = self.document.objection_deadline
        if deadline is not None and today() > deadline:
            return fsm.State.CONDITION(
                False, _("The objection window closed on %(date)s.") % {"date": deadline.isoformat()}
            )
        return fsm.State.CONDITION(True)

    def window_passed(self):
        deadline = self.document.objection_deadline
        return fsm.State.CONDITION(deadline is not None and today() > deadline, _("The objection window is still open."))

    # Actions --------------------------------------------------------------------------------
    @action(state, source=Status.DRAFT, target=Status.SUBMITTED, role=RATER,
            conditions=[unit_predicate_set, ratings_complete], label=gettext_lazy("Submit"))
    def submit(self):
        a, rules = self.document, self.document.cycle.rules
        results = a.results_rating
        if a.is_unit_leader:  # the predicate of the unit they lead decides a leader's results rating
            results = leader_results_rating(rules, self._reviews_now[a.led_review_id])
        self._set_ratings(results, a.behaviour_rating)

    def _set_ratings(self, results: str, behaviour: str, *, changed_by: str = "") -> None:
        """The two ratings and what follows from them: the predicate is always their matrix
        (``rated_predicate`` too, which names it so), and a change says who made it and what
        the predicate was before it (the audit event keeps every change with its reason)."""
        a = self.document
        predicate = predicate_for(a.cycle.rules, results, behaviour)
        fields = {"results_rating": results, "behaviour_rating": behaviour, "rated_predicate": predicate, "predicate": predicate}
        if changed_by:
            self.ctx.data["from"] = a.predicate  # as locked, not as the caller last read it
            self.ctx.data["to"] = predicate
            fields.update(changed_by=changed_by, previous_predicate=a.predicate)
        self.set(**fields)

    @action(state, source=Status.SUBMITTED, role=FORUM, comment=Comment.REQUIRED,
            conditions=[under_forum_review], label=gettext_lazy("Adjust"))
    def adjust(self):
        """The forum changes a rating (never a leader's results rating, which the unit predicate
        fixes: ``unit_review_adjust`` refuses it before this runs)."""
        a, data = self.document, self.ctx.data
        self._set_ratings(data.get("results_rating") or a.results_rating, data.get("behaviour_rating") or a.behaviour_rating,
                          changed_by=Assessment.ChangedBy.FORUM)

    @action(state, source=Status.SUBMITTED, role=SYSTEM, label=gettext_lazy("Follow the unit predicate"))
    def follow_unit_predicate(self):
        """The predicate of the unit this leader leads changed after their assessment was
        submitted: the results rating follows it (with the behaviour rating as it stands)."""
        a = self.document
        self._set_ratings(leader_results_rating(a.cycle.rules, self.ctx.data["unit_predicate"]), a.behaviour_rating)

    @action(state, source=Status.SUBMITTED, target=Status.ISSUED, role=FORUM, label=gettext_lazy("Issue the result"))
    def issue(self):
        now = timezone.now()
        self.set(issued_at=now, objection_deadline=objection_deadline(self.document.cycle.rules, timezone.localdate(now)))

    @action(state, source=Status.ISSUED, target=Status.FINAL, role=EMPLOYEE, label=gettext_lazy("Accept"))
    def accept(self):
        self.set(final_at=timezone.now())

    @action(state, source=Status.ISSUED, target=Status.FINAL, role=SYSTEM, conditions=[window_passed],
            label=gettext_lazy("Make final (objection window passed)"))
    def lapse(self):
        self.set(final_at=timezone.now())

    @action(state, source=Status.ISSUED, target=Status.OBJECTED, role=EMPLOYEE, conditions=[window_open],
            label=gettext_lazy("Object to the result"))
    def object(self):
        pass  # the objection itself is its own document (processes.services.objections)

    @action(state, source=Status.OBJECTED, target=Status.FINAL, role=RATERS_SUPERIOR, label=gettext_lazy("Decide the objection"))
    def resolve(self):
        data, a = self.ctx.data, self.document
        if data.get("outcome") == "changed":  # a leader's results rating stays (objection_decide refuses it)
            self._set_ratings(data.get("results_rating") or a.results_rating, data.get("behaviour_rating") or a.behaviour_rating,
                              changed_by=Assessment.ChangedBy.OBJECTION)
        self.set(final_at=timezone.now())

    @action(state, source=Status.FINAL, target=Status.RATIFIED, role=RATIFYING_OFFICIAL, label=gettext_lazy("Ratify"))
    def ratify(self):
        pass

    # Tasks and notices ----------------------------------------------------------------------
    def open_tasks(self) -> list[TaskSpec]:
        a, member, rules = self.document, self.member, self.document.cycle.rules
        if a.status == Status.DRAFT and member.rater_id:
            due = end_of_day(timezone.localdate(a.evaluation.created_at) + datetime.timedelta(days=rules["scoring_days"]))
            return [task(rules, role=RATER, actions=["submit"], assignee_id=member.rater.user_id,
                             position_id=member.rater_position_id, unit_id=a.unit_id, due_at=due)]
        if a.status == Status.ISSUED:
            return [task(rules, role=EMPLOYEE, actions=["accept", "object"], assignee_id=member.employee.user_id,
                             unit_id=a.unit_id, due_at=end_of_day(a.objection_deadline))]
        return []

    def notices(self, action: str, from_state: str) -> list[Notice]:
        a, member = self.document, self.member
        data = {"employee": member.employee.name, "period": a.get_period_display(), "year": a.cycle.year,
                "predicate": a.get_predicate_display(), "comment": self.ctx.comment,
                "deadline": a.objection_deadline.isoformat() if a.objection_deadline else ""}
        if action == "issue":
            return [Notice(member.employee.user_id, "assessment.issued", data)]
        if action == "adjust" and member.rater_id:
            return [Notice(member.rater.user_id, "assessment.adjusted", data)]
        if action == "resolve":
            recipients = [member.employee.user_id] + ([member.rater.user_id] if member.rater_id else [])
            return [Notice(r, "assessment.objection_decided", data) for r in recipients]
        if action == "ratify":
            return [Notice(member.employee.user_id, "assessment.ratified", data)]
        return []
