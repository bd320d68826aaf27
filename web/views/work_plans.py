"""The performance plan (SKP) page: the owner edits and submits, the rater approves or returns,
the owner amends an approved plan; approved versions and monthly reports listed. The plan's
period shows, and how a move or a leave ended it: an ended plan takes no more steps, so its
page offers none."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from processes.labels import core_values
from processes.models import MonthlyReport, Plan
from processes.rules import CORE_VALUES
from processes.selectors import plans_visible_to
from processes.selectors.plans import rater_results, rows_from_plan, versions_of
from processes.services.plans import plan_set_expectations, plan_update_content
from processes.services.reports import report_may_start
from workflow.engine import available_actions, may_edit

from ..forms.base import run_service
from ..forms.plans import ResultFormSet, indicator_template
from .work_common import buttons, run_action, show, split_errors
from .work_months import report_months

PLAN_ACTIONS = ("submit", "approve", "return", "amend")


def with_period(plan: Plan) -> Plan:
    """``plan.changed_on``: the day of the move or the leave that ended the plan (the day after
    its last), for the pages' "ended: moved on ..."."""
    plan.changed_on = plan.end + datetime.timedelta(days=1) if plan.ended else None
    return plan


def plan_months(plan: Plan, *, owner: bool, reports: list[MonthlyReport] | None = None) -> list[dict]:
    """The months of the plan's own period that have begun (a plan from July has no January),
    and any report it has; no start button once a move or a leave ended the plan."""
    rows = report_months(plan, owner=owner and not plan.ended, reports=reports)
    return [row for row in rows if row["report"] is not None or plan.covers_month(plan.cycle.year, row["month"])]


def content_form(plan: Plan, data=None, rows: list[dict] | None = None) -> ResultFormSet:
    """The content formset: posted, or with the plan's rows (one blank result for an empty plan)."""
    in_cycle, options = rater_results(plan)
    kwargs = {"support_options": options, "rater_in_cycle": in_cycle}
    if data is not None:
        return ResultFormSet(data, **kwargs)
    formset = ResultFormSet(initial=rows or None, **kwargs)
    if not rows:
        formset.extra = 1
    return formset


@login_required
@require_http_methods(["GET", "POST"])
def plan_detail(request, pk: int):
    plan = get_object_or_404(plans_visible_to(request.user).select_related("member__employee"), pk=pk)
    content, errors, general = None, {}, []
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op in ("save", "save_submit"):
            content = content_form(plan, request.POST)
            if content.is_valid():
                outcome, _status = run_service(
                    request,
                    lambda: plan_update_content(plan=plan, actor=request.user, results=content.results(), origin=request_origin(request)),
                    success=_("The plan was saved."),
                )
                general = content.add_service_errors(outcome or {})
            else:
                messages.error(request, _("Please correct the errors below."))
                outcome, general = {"results": content.parse_errors()}, content.parse_errors()
            if outcome is None and op == "save_submit":
                run_action(request, plan, "submit", permitted=PLAN_ACTIONS)
            if not outcome:
                return redirect(request.path)
        elif op == "expectations":
            written = {value: request.POST.get(f"expectation_{value}", "") for value in CORE_VALUES}
            outcome, _status = run_service(
                request,
                lambda: plan_set_expectations(plan=plan, actor=request.user, expectations=written, origin=request_origin(request)),
                success=_("The expectations were saved."),
            )
            if outcome is None:
                return redirect(request.path)
            errors = outcome
        else:
            outcome = run_action(request, plan, op, permitted=PLAN_ACTIONS, comment=request.POST.get("comment", ""))
            if not outcome:
                return redirect(request.path)
            errors, general = split_errors(outcome, ("comment",))
    plan.refresh_from_db()
    with_period(plan)
    return show(request, "web/work/plan_detail.html", plan, plan_page(request, plan, content, errors, general),
                status=400 if request.method == "POST" else 200)


def plan_page(request, plan: Plan, content: ResultFormSet | None, errors: dict, general: list) -> dict:
    allowed = available_actions(plan, request.user)
    # The engine's "edit" does not look at the period: an ended plan's content stays as it was.
    editing = may_edit(plan, "edit", request.user) and not plan.ended
    rows = rows_from_plan(plan) if content is None or not editing else []
    if editing and content is None:
        content = content_form(plan, rows=rows)
    return {
        "plan": plan, "rows": rows, "editing": editing, "content": content, "allowed": allowed,
        "can_submit": "submit" in allowed, "rater_in_cycle": content.rater_in_cycle if content else False,
        "support_options": content.support_options if content else [],
        "indicator_template": indicator_template() if editing else None,
        "review_buttons": buttons(plan, allowed, ("approve", "return")),
        "amend_buttons": buttons(plan, allowed, ("amend",)),
        "errors": errors, "general_errors": general,
        "versions": versions_of(plan),
        "expectations": [{"code": code, "label": label, "text": (plan.expectations or {}).get(code, ""),
                          "posted": request.POST.get(f"expectation_{code}") if request.method == "POST" else None,
                          "errors": errors.get(f"expectations.{code}", [])}
                         for code, label in core_values()],
        "expectations_errors": errors.get("expectations", []),
        "writing_expectations": may_edit(plan, "set_expectations", request.user) and not plan.ended,
        "months": plan_months(plan, owner=report_may_start(plan=plan, user=request.user)) if plan.revision > 0 else [],
    }
