"""The monthly report page: realisations, evidence (files by drag-and-drop or the picker, links),
submission; the rater accepts or returns it with feedback. The public's ratings of the month
are shown as evidence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.request_origin import request_origin
from processes.models import Evidence, Indicator, MonthlyReport
from processes.selectors import plans_visible_to, reports_visible_to
from processes.services.public_feedback import summary as public_summary
from processes.services.reports import evidence_add, evidence_delete, report_for_month, report_update_realisations
from workflow.engine import available_actions, may_edit

from ..actions import attempt
from .work_common import buttons, field_messages, run_action, show, split_errors
from .work_months import report_row

REPORT_ACTIONS = ("submit", "accept", "return")


@login_required
@require_POST
def report_start(request, pk: int):
    """The owner opens a month's report of an approved plan (or finds the one that exists)."""
    plan = get_object_or_404(plans_visible_to(request.user), pk=pk)
    month = request.POST.get("month", "")
    found: list[MonthlyReport] = []

    def start():
        found.append(report_for_month(plan=plan, month=int(month) if month.isdigit() and len(month) < 3 else 0,
                                      actor=request.user)[0])

    errors = attempt(request, start, success=_("The month's report is open."))
    if found:
        return redirect("report-detail", found[0].pk)
    field_messages(request, errors or {})
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if back and safe else "my-work")


def realisation_rows(report: MonthlyReport, post=None) -> list[dict]:
    """One row per indicator of the plan, with what was reported (or what was just posted)."""
    indicators = Indicator.objects.filter(result__plan_id=report.plan_id).select_related("result").order_by(
        "result__order", "result_id", "order", "id")
    reported = {r.indicator_id: r for r in report.realisations.all()}
    rows = []
    for indicator in indicators:
        before = reported.get(indicator.pk)
        value = post.get(f"value-{indicator.pk}", "").strip() if post is not None else (before.value if before else "")
        note = post.get(f"note-{indicator.pk}", "").strip() if post is not None else (before.note if before else "")
        rows.append({"indicator": indicator, "value": value, "note": note, "reported": before is not None, "errors": {}})
    return rows


def owner_edits(request, report: MonthlyReport) -> bool:
    """The owner, while the report may change: the forms' own checks apply (anyone else is
    refused by the service, before it reads the input)."""
    return may_edit(report, "edit", request.user)


def save_realisations(request, report: MonthlyReport, rows: list[dict]) -> dict | None:
    """None when saved (or nothing to save); else the errors (those of the rows are on the rows)."""
    items, valid = validate_realisations(rows)
    if owner_edits(request, report):
        if not valid:
            messages.error(request, _("Please correct the errors below."))
            return {"realisations": []}
        if not items:
            return None
    # Anyone else: the service refuses before it reads the items.
    return attempt(request, lambda: report_update_realisations(report=report, actor=request.user, items=items,
                                                               origin=request_origin(request)),
                   success=_("The realisations were saved."))


def validate_realisations(rows: list[dict]) -> tuple[list[dict], bool]:
    items, valid = [], True
    for row in rows:
        if not row["value"]:
            if row["reported"]:
                row["errors"]["value"] = [_("Give the realisation (it was reported before).")]
                valid = False
            continue
        if len(row["value"]) > 500:
            row["errors"]["value"] = [_("At most %(n)s characters.") % {"n": 500}]
            valid = False
        items.append({"indicator": row["indicator"].pk, "value": row["value"], "note": row["note"]})
    return items, valid


def change_evidence(request, report: MonthlyReport, op: str) -> dict | None:
    """Add a file or a link, or remove an item; refused by the service once submitted."""
    name = request.POST.get("name", "").strip()[:255]
    if op == "delete_evidence":
        evidence_id = request.POST.get("evidence", "")
        evidence = get_object_or_404(Evidence, report=report, pk=int(evidence_id) if evidence_id.isdigit() and len(evidence_id) < 12 else 0)
        return attempt(request, lambda: evidence_delete(evidence=evidence, actor=request.user, origin=request_origin(request)),
                       success=_("The evidence was removed."))
    if op == "link":
        return attempt(request, lambda: evidence_add(report=report, actor=request.user, url=request.POST.get("url", "").strip()[:1000],
                                                     name=name, origin=request_origin(request)), success=_("The link was added."))
    upload = request.FILES.get("file")
    if upload is None and owner_edits(request, report):
        messages.error(request, _("Please correct the errors below."))
        return {"file": [_("Choose a file, or drop one on the box.")]}
    return attempt(request, lambda: evidence_add(report=report, actor=request.user, upload=upload, name=name,
                                                 origin=request_origin(request)), success=_("The file was added."))


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request, pk: int):
    report = get_object_or_404(reports_visible_to(request.user).select_related("member__employee"), pk=pk)
    rows, errors, general = None, {}, []
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op in ("save", "save_submit"):
            rows = realisation_rows(report, request.POST)
            outcome = save_realisations(request, report, rows)
            if outcome is None and op == "save_submit":
                run_action(request, report, "submit", permitted=REPORT_ACTIONS)
        elif op in ("upload", "link", "delete_evidence"):
            outcome = change_evidence(request, report, op)
        else:
            outcome = run_action(request, report, op, permitted=REPORT_ACTIONS, comment=request.POST.get("comment", ""))
        if not outcome:
            return redirect(request.path)
        errors, general = split_errors(outcome, ("comment", "file", "url"))
    report.refresh_from_db()
    return show(request, "web/work/report_detail.html", report, report_page(request, report, rows, errors, general),
                status=400 if request.method == "POST" else 200)


def report_page(request, report: MonthlyReport, rows, errors: dict, general: list) -> dict:
    allowed = available_actions(report, request.user)
    owner = report.member.employee.user_id == request.user.pk
    editable = may_edit(report, "edit", request.user)
    month = [f"{report.cycle.year}-{report.month:02d}"]
    evidence_rules = report.cycle.rules["evidence"]
    if rows is None:
        rows = realisation_rows(report)
    return {
        "report": report, "plan": report.plan, "row": report_row(report, timezone.now()), "rows": rows,
        "removed": [r for r in report.realisations.all() if r.indicator_id is None],
        "evidence": list(report.evidence.all()), "owner": owner, "editable": editable, "allowed": allowed,
        "can_submit": "submit" in allowed, "review_buttons": buttons(report, allowed, ("accept", "return")),
        "errors": errors, "general_errors": general,
        "accept": ",".join(f".{ext}" for ext in evidence_rules["extensions"]),
        "extensions": ", ".join(evidence_rules["extensions"]), "max_mb": round(evidence_rules["max_bytes"] / 1048576, 1),
        "public": {"unit": public_summary(unit_id=report.unit_id, months=month),
                   "employee": public_summary(employee_id=report.employee_id, months=month)},
    }
