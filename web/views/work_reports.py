"""The monthly report page: realisations, evidence (files by drag-and-drop or the picker, links),
submission; the rater accepts or returns it with feedback. The public's ratings of the month
are shown as evidence.

The page parses its forms (web/forms/reports.py) and calls one service each; the rules are the
services' (processes/services/reports.py) and the engine's (who may change the report, and when)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.request_origin import request_origin
from processes.models import Evidence, MonthlyReport
from processes.selectors import plans_visible_to, reports_visible_to
from processes.services.public_feedback import summary as public_summary
from processes.services.reports import evidence_add, evidence_delete, report_for_month, report_update_realisations
from workflow.engine import available_actions, may_edit

from ..forms.base import add_service_errors, form_errors, run_service
from ..forms.reports import EvidenceDeleteForm, LinkForm, RealisationFormSet, ReportStartForm, UploadForm
from .work_common import buttons, field_messages, run_action, show, split_errors
from .work_months import report_row

REPORT_ACTIONS = ("submit", "accept", "return")


@login_required
@require_POST
def report_start(request, pk: int):
    """The owner opens a month's report of an approved plan (or finds the one that exists)."""
    plan = get_object_or_404(plans_visible_to(request.user), pk=pk)
    form = ReportStartForm(request.POST)
    found: list[MonthlyReport] = []
    errors = form_errors(form) if not form.is_valid() else None
    if errors is None:
        errors, _status = run_service(
            request, lambda: found.append(report_for_month(plan=plan, month=form.cleaned_data["month"], actor=request.user)[0]),
            success=_("The month's report is open."),
        )
    if found:
        return redirect("report-detail", found[0].pk)
    field_messages(request, errors or {})
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if back and safe else "my-work")


class ReportForms:
    """The page's forms, unbound; the one posted replaces its own."""

    def __init__(self, report: MonthlyReport):
        self.report = report
        accept = ",".join(f".{ext}" for ext in report.cycle.rules["evidence"]["extensions"])
        self.realisations = RealisationFormSet(report=report)
        self.upload = UploadForm(accept=accept)
        self.link = LinkForm()
        self.accept = accept

    def post(self, request, op: str) -> dict | None:
        """Run the posted form's service: None when done, else the errors (placed on the form)."""
        report, origin = self.report, request_origin(request)
        if op in ("save", "save_submit"):
            formset = self.realisations = RealisationFormSet(request.POST, report=report)
            if not formset.is_valid():
                return unparsed(request, formset.non_form_errors())
            outcome, _status = run_service(
                request, lambda: report_update_realisations(report=report, actor=request.user, items=formset.items(), origin=origin),
                success=_("The realisations were saved."),
            )
            if outcome:
                return {"__all__": formset.add_service_errors(outcome)}
            return outcome
        if op == "delete_evidence":
            form = EvidenceDeleteForm(request.POST)
            form.is_valid()
            evidence = get_object_or_404(Evidence, report=report, pk=form.cleaned_data.get("evidence") or 0)
            return run_service(request, lambda: evidence_delete(evidence=evidence, actor=request.user, origin=origin),
                               success=_("The evidence was removed."))[0]
        if op == "link":
            form = self.link = LinkForm(request.POST)
            call = lambda: evidence_add(report=report, actor=request.user, url=form.cleaned_data["url"],  # noqa: E731
                                        name=form.cleaned_data["name"], origin=origin)
            success = _("The link was added.")
        else:
            form = self.upload = UploadForm(request.POST, request.FILES, accept=self.accept)
            call = lambda: evidence_add(report=report, actor=request.user, upload=form.cleaned_data["file"],  # noqa: E731
                                        name=form.cleaned_data["name"], origin=origin)
            success = _("The file was added.")
        if not form.is_valid():
            return unparsed(request, form.non_field_errors())
        outcome, _status = run_service(request, call, success=success)
        if outcome:
            add_service_errors(form, outcome)
            return {"__all__": list(form.non_field_errors())}
        return outcome


def unparsed(request, general) -> dict:
    """A form that did not parse (a tampered formset, text with a NUL): its errors shown in place."""
    messages.error(request, _("Please correct the errors below."))
    return {"__all__": list(general)}


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request, pk: int):
    report = get_object_or_404(reports_visible_to(request.user).select_related("member__employee", "cycle"), pk=pk)
    forms = ReportForms(report)
    errors, general = {}, []
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op in ("save", "save_submit", "upload", "link", "delete_evidence"):
            outcome = forms.post(request, op)
            if outcome is None and op == "save_submit":
                run_action(request, report, "submit", permitted=REPORT_ACTIONS)
            general = (outcome or {}).get("__all__", [])
        else:
            outcome = run_action(request, report, op, permitted=REPORT_ACTIONS, comment=request.POST.get("comment", ""))
            errors, general = split_errors(outcome, ("comment",))
        if not outcome:
            return redirect(request.path)
    report.refresh_from_db()
    return show(request, "web/work/report_detail.html", report, report_page(request, report, forms, errors, general),
                status=400 if request.method == "POST" else 200)


def report_page(request, report: MonthlyReport, forms: ReportForms, errors: dict, general: list) -> dict:
    allowed = available_actions(report, request.user)
    month = [f"{report.cycle.year}-{report.month:02d}"]
    evidence_rules = report.cycle.rules["evidence"]
    return {
        "report": report, "plan": report.plan, "row": report_row(report, timezone.now()),
        "realisations": forms.realisations, "upload_form": forms.upload, "link_form": forms.link,
        "removed": [r for r in report.realisations.all() if r.indicator_id is None],
        "evidence": list(report.evidence.all()), "editable": may_edit(report, "edit", request.user), "allowed": allowed,
        "can_submit": "submit" in allowed, "review_buttons": buttons(report, allowed, ("accept", "return")),
        "errors": errors, "general_errors": general,
        "extensions": ", ".join(evidence_rules["extensions"]), "max_mb": round(evidence_rules["max_bytes"] / 1048576, 1),
        "public": {"unit": public_summary(unit_id=report.unit_id, months=month),
                   "employee": public_summary(employee_id=report.employee_id, months=month)},
    }
