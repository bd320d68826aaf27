"""The performance plan (SKP): draft -> submitted -> approved, or returned and resubmitted;
an approved plan may be amended (back to draft), its approved version kept."""

from __future__ import annotations

import datetime
from functools import cached_property

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow import fsm

from workflow.flows import Comment, Edit, Notice, TaskSpec, action, compiled_query, document_state

from ..models import Indicator, Plan, PlanResult, PlanVersion
from ..rules import deadline, new_plan_days
from .base import EMPLOYEE, HR, RATER, AppraisalFlow, days_from_now, end_of_day

Status = Plan.Status


# The guard's and the approval's reads run on every submit and approve (the January peak):
# their SQL is compiled once (workflow.flows.compiled_query).
RESULTS_OF_PLAN = compiled_query(
    lambda: PlanResult.objects.annotate(indicator_count=Count("indicators")).values(
        "id", "title", "kind", "indicator_count", "supports_id", "supports__plan__employee_id", "supports__approved"
    ).order_by("order", "id"),
    lookup="plan",
)
INDICATORS_OF_PLAN = compiled_query(
    lambda: Indicator.objects.select_related("result").order_by("result__order", "result_id", "order", "id"),
    lookup="result__plan",
)


class PlanFlow(AppraisalFlow):
    model = Plan
    state = document_state(Status, default=Status.DRAFT)
    edits = {
        "edit": Edit(states=(Status.DRAFT, Status.RETURNED), role=EMPLOYEE, refusal=gettext_lazy("Only the plan's owner may edit it.")),
        # The rater writes the leader's expectations per core value before approving (PermenPANRB
        # 6/2022 annex: ekspektasi khusus pimpinan); an amendment reopens them with the plan.
        "set_expectations": Edit(states=(Status.DRAFT, Status.SUBMITTED, Status.RETURNED), role=RATER,
                                 refusal=gettext_lazy("Only the rater writes the expectations of a plan.")),
        # A move or a leave ends the period (processes/services/membership.py): in any state.
        "close_period": Edit(states=tuple(Status.values), role=HR,
                             refusal=gettext_lazy("Only HR of the employee's unit may end a plan's period.")),
    }

    @classmethod
    def lock_queryset(cls):
        # The rater's plan revision comes with the lock, saving the submit guard a round trip.
        rater_plan = rater_plans(OuterRef("cycle_id"), OuterRef("member__rater_id"), OuterRef("end"))
        # The plan's own employee and unit too: the API answers an action with this copy.
        return Plan.objects.select_related(
            "cycle", "employee", "unit", "member", "member__employee", "member__rater", "member__unit"
        ).annotate(rater_plan_revision=Subquery(rater_plan.values("revision")[:1]))

    # Guards ---------------------------------------------------------------------------------
    @cached_property
    def _results(self) -> list[dict]:
        return RESULTS_OF_PLAN.all(self.document.pk)

    @cached_property
    def _rater_plan_revision(self) -> int | None:
        """The approved revision of the rater's plan in this cycle; None when the rater is not
        in the cycle's scope (the top of the hierarchy cascades from the agency's agreement)."""
        if self.member.rater_id is None:
            return None
        if hasattr(self.document, "rater_plan_revision"):  # read with the lock
            return self.document.rater_plan_revision
        return rater_plans(self.document.cycle_id, self.member.rater_id, self.document.end).values_list("revision", flat=True).first()

    def allowed_actions(self, user) -> list[str]:
        # An ended plan takes no more steps: no button offers what ``period_running`` refuses.
        return [] if self.document.ended else super().allowed_actions(user)

    def period_running(self):
        if self.document.ended:
            return fsm.State.CONDITION(False, _("This plan's period has ended (%(ended)s on %(end)s); it takes no more steps.")
                                       % {"ended": self.document.get_ended_display(), "end": self.document.end})
        return fsm.State.CONDITION(True)

    def has_content(self):
        if not self._results:
            return fsm.State.CONDITION(False, _("The plan needs at least one result with an indicator."))
        if not any(r["kind"] == PlanResult.Kind.MAIN for r in self._results):
            # Additional results need no cascade; a plan of them alone would escape it.
            return fsm.State.CONDITION(False, _("The plan needs at least one main result."))
        empty = [r["title"] for r in self._results if r["indicator_count"] == 0]
        if empty:
            return fsm.State.CONDITION(
                False, _("Each result needs at least one indicator; these have none: %(titles)s") % {"titles": "; ".join(empty)}
            )
        return fsm.State.CONDITION(True)

    def rater_plan_approved(self):
        if self._rater_plan_revision == 0:
            return fsm.State.CONDITION(
                False,
                _("Your rater's plan (%(rater)s) is not approved yet; your results must support it, so submit after it is approved.")
                % {"rater": self.member.rater.name},
            )
        return fsm.State.CONDITION(True)

    def supports_rater_results(self):
        if self._rater_plan_revision is None:
            return fsm.State.CONDITION(True)
        # An additional result (tambahan) needs no cascade; if it names one, it must be valid.
        wrong = [
            r["title"]
            for r in self._results
            if (r["supports_id"] is None and r["kind"] == PlanResult.Kind.MAIN)
            or (r["supports_id"] is not None
                and (r["supports__plan__employee_id"] != self.member.rater_id or not r["supports__approved"]))
        ]
        if wrong:
            return fsm.State.CONDITION(
                False,
                _("Each main result must name the approved result of your rater's plan that it supports; these do not: %(titles)s")
                % {"titles": "; ".join(wrong)},
            )
        return fsm.State.CONDITION(True)

    # Actions --------------------------------------------------------------------------------
    @action(
        state,
        source=[Status.DRAFT, Status.RETURNED],
        target=Status.SUBMITTED,
        role=EMPLOYEE,
        conditions=[period_running, has_content, rater_plan_approved, supports_rater_results],
        label=gettext_lazy("Submit"),
    )
    def submit(self):
        self.set(submitted_at=timezone.now())

    @action(state, source=Status.SUBMITTED, target=Status.APPROVED, role=RATER, conditions=[period_running], label=gettext_lazy("Approve"))
    def approve(self):
        plan = self.document
        now = timezone.now()
        self.set(revision=plan.revision + 1, approved_at=now, review_comment=self.ctx.comment)
        indicators = INDICATORS_OF_PLAN.all(plan.pk)
        self.writes.update_where(PlanResult, {"approved": True}, {"plan": plan.pk, "approved": False})
        self.writes.insert([
            PlanVersion(plan=plan, revision=plan.revision, approved_at=now, approved_by=self.ctx.actor,
                        content=plan_content(indicators, expectations=plan.expectations))
        ])

    @action(state, source=Status.SUBMITTED, target=Status.RETURNED, role=RATER, comment=Comment.REQUIRED, conditions=[period_running],
            label=gettext_lazy("Return"))
    def return_(self):
        self.set(review_comment=self.ctx.comment)

    @action(state, source=Status.APPROVED, target=Status.DRAFT, role=EMPLOYEE, comment=Comment.REQUIRED, conditions=[period_running],
            label=gettext_lazy("Amend"))
    def amend(self):
        self.set(review_comment="")

    # Tasks and notices ----------------------------------------------------------------------
    def open_tasks(self) -> list[TaskSpec]:
        plan, member, rules = self.document, self.member, self.document.cycle.rules
        if plan.ended:  # a move or a leave ended the period: its open tasks close
            return []
        if plan.status in (Status.DRAFT, Status.RETURNED):
            return [employee_submit_task(plan, member, amending=plan.revision > 0)]
        if plan.status == Status.SUBMITTED and member.rater_id is not None:
            due = days_from_now(rules["plan_review_days"], rules)
            return [
                TaskSpec(
                    role=RATER,
                    actions=["approve", "return"],
                    assignee_id=member.rater.user_id,
                    position_id=member.rater_position_id,
                    unit_id=plan.unit_id,
                    due_at=due,
                    remind_at=due - datetime.timedelta(days=rules["remind_days_before"]),
                    escalate_at=due + datetime.timedelta(days=rules["escalate_days_after"]),
                )
            ]
        return []

    def notices(self, action: str, from_state: str) -> list[Notice]:
        member = self.member
        if action == "create":  # the cycle opened: the employee's plan waits for them
            return [Notice(member.employee.user_id, "cycle.opened", {"year": self.document.cycle.year})]
        if action in ("join", "move", "close_period"):  # docs/periods-and-changes.md
            from ..services.membership import change_notices

            return change_notices(self.document, "ended" if action == "close_period" else action)
        data = {"employee": member.employee.name, "year": self.document.cycle.year, "comment": self.ctx.comment}
        rater_user = member.rater.user_id if member.rater_id else None
        recipients = {
            "submit": (rater_user, "plan.submitted"),
            "approve": (member.employee.user_id, "plan.approved"),
            "return": (member.employee.user_id, "plan.returned"),
            "amend": (rater_user, "plan.amended"),
        }
        recipient, event = recipients.get(action, (None, ""))
        return [Notice(recipient, event, data)] if recipient else []


def rater_plans(cycle_id, rater_id, ends_on):
    """The rater's plan that a subordinate's plan supports: the rater's latest plan of the cycle
    that began before the subordinate's plan ends (the rater may have moved during the year)."""
    return Plan.objects.filter(cycle_id=cycle_id, employee_id=rater_id, start__lte=ends_on).order_by("-start")


def employee_submit_task(plan: Plan, member, *, amending: bool = False) -> TaskSpec:
    """The employee's task to submit a plan: due at the cycle's plan deadline (or, for an
    amendment during the year, within the review period)."""
    rules = plan.cycle.rules
    if plan.origin != Plan.Origin.OPENING and not amending:
        # A plan started during the year (a join, a move): due within the rule set's days,
        # counted as every task deadline is (``deadline_day_kind``), from its start or, for a
        # change recorded late, from today.
        due = end_of_day(deadline(rules, max(plan.start, timezone.localdate()), new_plan_days(rules)))
    elif amending:
        due = end_of_day(max(plan.cycle.plan_deadline, timezone.localdate() + datetime.timedelta(days=rules["plan_review_days"])))
    else:
        due = end_of_day(plan.cycle.plan_deadline)
    return TaskSpec(
        role=EMPLOYEE,
        actions=["submit"],
        assignee_id=member.employee.user_id,
        unit_id=plan.unit_id,
        due_at=due,
        remind_at=due - datetime.timedelta(days=rules["remind_days_before"]),
        escalate_at=due + datetime.timedelta(days=rules["escalate_days_after"]),
    )


def plan_content(indicators, *, expectations: dict | None = None) -> dict:
    """The plan's results and indicators, and the leader's expectations per core value, as JSON
    (the approved version kept in PlanVersion)."""
    results: dict[int, dict] = {}
    for indicator in indicators:
        result = indicator.result
        entry = results.setdefault(
            result.pk,
            {"id": result.pk, "title": result.title, "kind": result.kind, "supports": result.supports_id, "indicators": []},
        )
        entry["indicators"].append(
            {"id": indicator.pk, "description": indicator.description, "target": indicator.target, "aspect": indicator.aspect}
        )
    return {"results": list(results.values()), "expectations": dict(expectations or {})}
