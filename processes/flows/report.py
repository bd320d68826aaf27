"""The monthly report: open -> submitted -> accepted, or returned and submitted again."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow import fsm

from workflow.flows import Comment, Edit, Notice, TaskSpec, action, document_state

from ..models import MonthlyReport, Realisation
from .base import EMPLOYEE, HR, RATER, AppraisalFlow, days_from_now, task

Status = MonthlyReport.Status


class ReportFlow(AppraisalFlow):
    model = MonthlyReport
    state = document_state(Status, default=Status.OPEN)
    # The employee reports realisations and evidence while the report is open or returned.
    edits = {
        name: Edit(states=(Status.OPEN, Status.RETURNED), role=EMPLOYEE, refusal=gettext_lazy("Only the report's owner may change it."))
        for name in ("edit", "add_evidence", "delete_evidence")
    }
    # The plan's period ended (a move or a leave): the report's waiting tasks close
    # (processes/services/membership.py); the change records an event and nothing else.
    edits["close_period"] = Edit(states=tuple(Status.values), role=HR,
                                 refusal=gettext_lazy("Only HR of the employee's unit may end a plan's period."))

    @classmethod
    def lock_queryset(cls):
        return MonthlyReport.objects.select_related("cycle", "plan", "member", "member__employee", "member__rater", "member__unit")

    def closed_for_employee(self) -> bool:
        """The plan's period ended before the report's month, or the employee has left (their
        leave's date has come): nothing more is asked of them on this report."""
        plan, report = self.document.plan, self.document
        if not plan.ended:
            return False
        return (report.cycle.year, report.month) > (plan.end.year, plan.end.month) or plan.employee_has_left

    def allowed_actions(self, user) -> list[str]:
        # A closed report asks nothing of the employee: neither a submit nor a return to them.
        allowed = super().allowed_actions(user)
        return [name for name in allowed if name not in ("submit", "return")] if self.closed_for_employee() else allowed

    def period_covers(self):
        if self.closed_for_employee():
            return fsm.State.CONDITION(False, _("The plan's period ended on %(end)s; this report is closed.")
                                       % {"end": self.document.plan.end})
        return fsm.State.CONDITION(True)

    def has_realisation(self):
        if not Realisation.objects.filter(report=self.document).exists():
            return fsm.State.CONDITION(False, _("Report the realisation of at least one indicator before submitting."))
        return fsm.State.CONDITION(True)

    @action(state, source=[Status.OPEN, Status.RETURNED], target=Status.SUBMITTED, role=EMPLOYEE,
            conditions=[period_covers, has_realisation], label=gettext_lazy("Submit"))
    def submit(self):
        now = timezone.now()
        # Late reports are still accepted, and marked so (visible in lists and progress).
        self.set(submitted_at=now, late=now > self.document.due_at)

    @action(state, source=Status.SUBMITTED, target=Status.ACCEPTED, role=RATER, label=gettext_lazy("Accept"))
    def accept(self):
        self.set(feedback=self.ctx.comment)

    # A report the plan's period no longer covers is not returned: nobody would be asked to correct it.
    @action(state, source=Status.SUBMITTED, target=Status.RETURNED, role=RATER, comment=Comment.REQUIRED,
            conditions=[period_covers], label=gettext_lazy("Return"))
    def return_(self):
        self.set(feedback=self.ctx.comment)

    def open_tasks(self) -> list[TaskSpec]:
        report, member, rules = self.document, self.member, self.document.cycle.rules
        if report.status in (Status.OPEN, Status.RETURNED):
            if self.closed_for_employee():
                return []
            return [task(rules, role=EMPLOYEE, actions=["submit"], assignee_id=member.employee.user_id,
                             unit_id=report.unit_id, due_at=report.due_at)]
        if report.status == Status.SUBMITTED and member.rater_id:
            return [task(rules, role=RATER, actions=["accept", "return"], assignee_id=member.rater.user_id,
                             position_id=member.rater_position_id, unit_id=report.unit_id,
                             due_at=days_from_now(report.cycle.rules["report_review_days"], report.cycle.rules))]
        return []

    def notices(self, action: str, from_state: str) -> list[Notice]:
        member, report = self.member, self.document
        data = {"employee": member.employee.name, "month": report.month, "year": report.cycle.year, "comment": self.ctx.comment}
        if action == "submit" and member.rater_id:
            return [Notice(member.rater.user_id, "report.submitted", data)]
        if action in ("accept", "return"):
            return [Notice(member.employee.user_id, f"report.{'accepted' if action == 'accept' else 'returned'}", data)]
        return []
