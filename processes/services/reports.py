"""Writes of monthly reports: creating them (a monthly sweep or on first access), realisations,
evidence. Their status moves only through the engine."""

from __future__ import annotations

import datetime
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import audit
from workflow.engine import open_tasks
from workflow.errors import InvalidTransition, NotPermitted
from workflow.models import AuditEvent

from ..flows.base import end_of_day
from ..models import Evidence, Indicator, MonthlyReport, Plan, Realisation

EDITABLE = (MonthlyReport.Status.OPEN, MonthlyReport.Status.RETURNED)

# The first bytes each kind of file starts with: an upload must be what its name says.
SIGNATURES = {
    "pdf": [b"%PDF"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "docx": [b"PK\x03\x04"], "xlsx": [b"PK\x03\x04"], "pptx": [b"PK\x03\x04"], "odt": [b"PK\x03\x04"], "ods": [b"PK\x03\x04"],
    "doc": [b"\xd0\xcf\x11\xe0"], "xls": [b"\xd0\xcf\x11\xe0"], "ppt": [b"\xd0\xcf\x11\xe0"],
}


def report_due(year: int, month: int, due_day: int) -> datetime.datetime:
    """Reports are due on ``due_day`` of the following month (end of that day, Asia/Jakarta)."""
    following = datetime.date(year + (month == 12), month % 12 + 1, due_day)
    return end_of_day(following)


def _build(plan: Plan, month: int) -> MonthlyReport:
    return MonthlyReport(
        plan=plan, member_id=plan.member_id, cycle=plan.cycle, employee_id=plan.employee_id, unit_id=plan.unit_id,
        month=month, due_at=report_due(plan.cycle.year, month, plan.cycle.rules["report_due_day"]),
    )


def reports_create(plans, month: int) -> list[MonthlyReport]:
    """Create the month's reports of approved plans that have none yet, with their first audit
    event and the employee's task: in bulk, and safe to run again."""
    plans = [p for p in plans if p.revision > 0]
    existing = set(
        MonthlyReport.objects.filter(plan__in=plans, month=month).values_list("plan_id", flat=True)
    )
    reports = [_build(plan, month) for plan in plans if plan.pk not in existing]
    if not reports:
        return []
    with transaction.atomic():
        reports = MonthlyReport.objects.bulk_create(reports)
        now = timezone.now()
        AuditEvent.objects.bulk_create([
            audit.build_event(document_type="report", document_id=r.pk, action="create", to_state=r.status,
                              data={"month": month}, origin={"channel": "system"}, at=now)
            for r in reports
        ])
        for report in reports:
            report.member = report.plan.member
            open_tasks("report", report.pk, report.flow_class(report).open_tasks())
    return reports


def reports_open_month(*, year: int, month: int, chunk_size: int = 1000) -> int:
    """The monthly sweep: every approved plan of the year's open cycles gets the month's report."""
    plans = (
        Plan.objects.filter(cycle__year=year, cycle__status="open", revision__gt=0)
        .select_related("cycle", "member", "member__employee", "member__rater")
        .order_by("pk")
    )
    created = 0
    for start in range(0, plans.count(), chunk_size):
        created += len(reports_create(list(plans[start:start + chunk_size]), month))
    return created


def report_for_month(*, plan: Plan, month: int, actor) -> tuple[MonthlyReport, bool]:
    """The month's report of a plan, created on first access by its owner."""
    if not 1 <= month <= 12:
        raise ValidationError({"month": [_("Give a month from 1 to 12.")]})
    report = MonthlyReport.objects.filter(plan=plan, month=month).first()
    if report is not None:
        return report, False
    if plan.employee.user_id != actor.pk:
        raise NotPermitted(_("Only the plan's owner may start its monthly report."))
    if plan.revision == 0:
        raise InvalidTransition(_("Monthly reports start once the plan is approved."), status=plan.status)
    today = timezone.localdate()
    if (plan.cycle.year, month) > (today.year, today.month):
        raise ValidationError({"month": [_("That month has not started yet.")]})
    try:
        created = reports_create([Plan.objects.select_related("cycle", "member__employee", "member__rater").get(pk=plan.pk)], month)
    except IntegrityError:  # created at the same moment by the sweep
        created = []
    return (created[0] if created else MonthlyReport.objects.get(plan=plan, month=month)), bool(created)


def _lock_editable(report: MonthlyReport, actor) -> MonthlyReport:
    report = MonthlyReport.objects.select_for_update(of=("self",)).select_related("employee", "cycle").get(pk=report.pk)
    if report.employee.user_id != actor.pk:
        raise NotPermitted(_("Only the report's owner may change it."))
    if report.status not in EDITABLE:
        raise InvalidTransition(
            _("The report can be changed only while open or returned; it is “%(status)s”.") % {"status": report.get_status_display()},
            status=report.status, allowed_actions=report.flow_class(report).allowed_actions(actor),
        )
    return report


def report_update_realisations(*, report: MonthlyReport, actor, items: list[dict], origin: dict | None = None) -> MonthlyReport:
    """Set the realisation of indicators of the report's plan (others are left as they are)."""
    with transaction.atomic():
        report = _lock_editable(report, actor)
        indicators = {i.pk: i for i in Indicator.objects.filter(result__plan_id=report.plan_id)}
        errors = {}
        for index, item in enumerate(items):
            if item["indicator"] not in indicators:
                errors[f"realisations[{index}].indicator"] = [_("This indicator is not part of the report's plan.")]
        if errors:
            raise ValidationError(errors)
        for item in items:
            Realisation.objects.update_or_create(
                report=report, indicator_id=item["indicator"],
                defaults={"value": item["value"], "note": item.get("note", ""),
                          "indicator_description": indicators[item["indicator"]].description},
            )
        report.version += 1
        report.save(update_fields=["version", "updated_at"])
        audit.append(document_type="report", document_id=report.pk, action="edit", from_state=report.status,
                     to_state=report.status, actor_id=actor.pk, data={"realisations": len(items)}, origin=origin)
    return report


def validate_upload(rules: dict, name: str, size: int, head: bytes) -> str:
    """The file's extension if the rule set allows this upload; else a ValidationError that says why."""
    evidence = rules["evidence"]
    extension = PurePath(name).suffix.lower().lstrip(".")
    if size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    if size > evidence["max_bytes"]:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.") % {"mb": round(evidence["max_bytes"] / 1048576, 1)}]})
    if extension not in evidence["extensions"]:
        raise ValidationError({"file": [_("Files of type “%(ext)s” are not accepted; allowed: %(allowed)s.")
                                        % {"ext": extension or "?", "allowed": ", ".join(evidence["extensions"])}]})
    signatures = SIGNATURES.get(extension)
    if signatures and not any(head.startswith(signature) for signature in signatures):
        raise ValidationError({"file": [_("The file's content is not a %(ext)s file.") % {"ext": extension}]})
    return extension


def evidence_add(*, report: MonthlyReport, actor, upload=None, url: str = "", name: str = "", origin: dict | None = None) -> Evidence:
    """Attach an uploaded file (through Django's storage) or a link to a report."""
    with transaction.atomic():
        report = _lock_editable(report, actor)
        rules = report.cycle.rules
        if report.evidence.count() >= rules["evidence"]["max_items"]:
            raise ValidationError({"file": [_("A report holds at most %(n)s pieces of evidence.") % {"n": rules["evidence"]["max_items"]}]})
        if upload is not None:
            head = upload.read(16)
            upload.seek(0)
            validate_upload(rules, upload.name, upload.size, head)
            evidence = Evidence(report=report, kind=Evidence.Kind.FILE, name=(name or upload.name)[:255], size=upload.size,
                                content_type=getattr(upload, "content_type", "") or "", uploaded_by=actor)
            evidence.file.save(PurePath(upload.name).name, upload, save=False)
        else:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise ValidationError({"url": [_("Give a web address starting with http:// or https://.")]}) from None
            evidence = Evidence(report=report, kind=Evidence.Kind.LINK, url=url, name=(name or url)[:255], uploaded_by=actor)
        evidence.save()
        audit.append(document_type="report", document_id=report.pk, action="add_evidence", from_state=report.status,
                     to_state=report.status, actor_id=actor.pk,
                     data={"evidence": evidence.pk, "kind": evidence.kind, "name": evidence.name, "size": evidence.size}, origin=origin)
    return evidence


def evidence_delete(*, evidence: Evidence, actor, origin: dict | None = None) -> None:
    with transaction.atomic():
        report = _lock_editable(evidence.report, actor)
        file_name = evidence.file.name if evidence.kind == Evidence.Kind.FILE else ""
        audit.append(document_type="report", document_id=report.pk, action="delete_evidence", from_state=report.status,
                     to_state=report.status, actor_id=actor.pk, data={"evidence": evidence.pk, "name": evidence.name}, origin=origin)
        evidence.delete()
        if file_name:
            storage = evidence.file.storage
            transaction.on_commit(lambda: storage.delete(file_name))
