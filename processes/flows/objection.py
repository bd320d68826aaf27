"""The objection: the rater and the employee explain, the rater's superior decides (final)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow import fsm

from workflow.flows import Comment, Notice, TaskSpec, action, document_state

from ..models import Objection
from .base import EMPLOYEE, RATER, RATERS_SUPERIOR, AppraisalFlow, days_from_now, end_of_day, task, today

Status = Objection.Status


def _after_rater(flow) -> str:
    return Status.AWAITING_DECISION if flow.document.employee_explanation else Status.AWAITING_EXPLANATIONS


def _after_employee(flow) -> str:
    return Status.AWAITING_DECISION if flow.document.rater_explanation else Status.AWAITING_EXPLANATIONS


class ObjectionFlow(AppraisalFlow):
    model = Objection
    state = document_state(Status, default=Status.AWAITING_EXPLANATIONS)
    # Locked after the assessment it objects to (workflow.locking.lock_documents).
    lock_level = 3

    @classmethod
    def lock_queryset(cls):
        return Objection.objects.select_related(
            "cycle", "assessment", "member", "member__employee", "member__rater", "member__raters_superior", "member__unit",
        )

    def rater_has_not_explained(self):
        return fsm.State.CONDITION(not self.document.rater_explanation, _("The rater has already explained."))

    def employee_has_not_explained(self):
        return fsm.State.CONDITION(not self.document.employee_explanation, _("You have already explained."))

    def explanations_in_or_due(self):
        objection = self.document
        if objection.status == Status.AWAITING_DECISION:
            return fsm.State.CONDITION(True)
        if objection.explanations_due and today() > objection.explanations_due:
            return fsm.State.CONDITION(True)
        if objection.explanations_due is None:
            return fsm.State.CONDITION(False, _("Both explanations are needed first."))
        return fsm.State.CONDITION(
            False, _("Both explanations are needed first (or wait until %(date)s).") % {"date": objection.explanations_due.isoformat()}
        )

    @action(state, source=Status.AWAITING_EXPLANATIONS, target=fsm.State.GET_STATE(_after_rater, states=list(Status.values)),
            role=RATER, comment=Comment.REQUIRED, conditions=[rater_has_not_explained], label=gettext_lazy("Explain (rater)"))
    def explain_as_rater(self):
        self.set(rater_explanation=self.ctx.comment)

    @action(state, source=Status.AWAITING_EXPLANATIONS, target=fsm.State.GET_STATE(_after_employee, states=list(Status.values)),
            role=EMPLOYEE, comment=Comment.REQUIRED, conditions=[employee_has_not_explained],
            label=gettext_lazy("Explain (employee)"))
    def explain_as_employee(self):
        self.set(employee_explanation=self.ctx.comment)

    @action(state, source=[Status.AWAITING_EXPLANATIONS, Status.AWAITING_DECISION], target=Status.DECIDED,
            role=RATERS_SUPERIOR, comment=Comment.REQUIRED, conditions=[explanations_in_or_due], label=gettext_lazy("Decide"))
    def decide(self):
        data = self.ctx.data
        self.set(outcome=data["outcome"], results_rating=data.get("results_rating") or "",
                 behaviour_rating=data.get("behaviour_rating") or "", decision_reasons=self.ctx.comment,
                 decided_at=timezone.now())

    def open_tasks(self) -> list[TaskSpec]:
        objection, member, rules = self.document, self.member, self.document.cycle.rules
        unit = member.unit_id
        tasks = []
        if objection.status == Status.AWAITING_EXPLANATIONS:
            due = end_of_day(objection.explanations_due) if objection.explanations_due else None
            if not objection.rater_explanation and member.rater_id:
                tasks.append(task(rules, role=RATER, actions=["explain_as_rater"], assignee_id=member.rater.user_id,
                                      position_id=member.rater_position_id, unit_id=unit, due_at=due))
            if not objection.employee_explanation:
                tasks.append(task(rules, role=EMPLOYEE, actions=["explain_as_employee"], assignee_id=member.employee.user_id,
                                      unit_id=unit, due_at=due))
        if objection.status in (Status.AWAITING_EXPLANATIONS, Status.AWAITING_DECISION) and member.raters_superior_id:
            tasks.append(task(rules, role=RATERS_SUPERIOR, actions=["decide"], assignee_id=member.raters_superior.user_id,
                                  position_id=member.raters_superior_position_id, unit_id=unit,
                                  due_at=days_from_now(rules["objection_decision_days"], rules)))
        return tasks

    def notices(self, action: str, from_state: str) -> list[Notice]:
        objection, member = self.document, self.member
        data = {"employee": member.employee.name, "period": objection.assessment.get_period_display(), "year": objection.cycle.year,
                "outcome": objection.get_outcome_display()}
        if action == "create":
            notices = [Notice(member.raters_superior.user_id, "objection.filed", data)] if member.raters_superior_id else []
            if member.rater_id:
                notices.append(Notice(member.rater.user_id, "objection.explanation_requested", data))
            return notices
        if action == "decide":
            return [Notice(member.employee.user_id, "objection.decided", data)]
        return []
