"""Writes of monthly reports: creating them (a monthly sweep or on first access), realisations,
evidence. Their status moves only through the engine.

The rules of what may be written live here, and only here: the API and the report page hand over
what was sent and show the errors this module raises (keyed ``realisations[0].value``, ``month``,
``file``, ``url``, ``name``)."""

from __future__ import annotations

import datetime
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.engine import UNCHANGED, edit, start_many
from workflow.errors import InvalidTransition, NotPermitted

from ..flows.base import EMPLOYEE, end_of_day
from ..models import Evidence, Indicator, MonthlyReport, Plan, Realisation
from . import evidence_files
from .checks import Errors, text_problem
from .fields import reference, text

VALUE_MAX = Realisation._meta.get_field("value").max_length
NOTE_MAX = 5000
NAME_MAX = Evidence._meta.get_field("name").max_length
URL_MAX = Evidence._meta.get_field("url").max_length

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
    event and the employee's task (the engine's ``start_many``): in bulk, and safe to run again."""
    # A plan's reports are the months its period touches: a moved employee still reports the days
    # before the move on the old plan, a leaver the days before their leave.
    plans = [p for p in plans if p.revision > 0 and p.covers_month(p.cycle.year, month) and not p.employee_has_left]
    existing = set(
        MonthlyReport.objects.filter(plan__in=plans, month=month).values_list("plan_id", flat=True)
    )
    reports = [_build(plan, month) for plan in plans if plan.pk not in existing]
    for report in reports:
        report.member = report.plan.member
    return start_many(reports, data={"month": month})


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


def report_may_start(*, plan: Plan, user) -> bool:
    """Whether ``user`` may start a month's report of ``plan`` (for the pages' buttons): the rule
    ``report_for_month`` applies, so a page never offers what the service refuses."""
    return plan.revision > 0 and plan.flow_class(plan).authorize(user, EMPLOYEE) is not None


def report_for_month(*, plan: Plan, month, actor) -> tuple[MonthlyReport, bool]:
    """The month's report of a plan, created on first access by its owner. ``month`` is a number
    from 1 to 12, or its digits as text (a form's field)."""
    month = _month(month)
    report = MonthlyReport.objects.filter(plan=plan, month=month).first()
    if report is not None:
        return report, False
    if plan.flow_class(plan).authorize(actor, EMPLOYEE) is None:
        raise NotPermitted(_("Only the plan's owner may start its monthly report."))
    if plan.revision == 0:
        raise InvalidTransition(_("Monthly reports start once the plan is approved."), status=plan.status)
    today = timezone.localdate()
    if (plan.cycle.year, month) > (today.year, today.month):
        raise ValidationError({"month": [_("That month has not started yet.")]})
    if not plan.covers_month(plan.cycle.year, month):
        raise ValidationError({"month": [_("The plan's period (%(start)s to %(end)s) does not include that month.")
                                         % {"start": plan.start, "end": plan.end}]})
    if plan.employee_has_left:
        raise InvalidTransition(_("The employee has left; the plan starts no more reports."), status=plan.status)
    try:
        created = reports_create([Plan.objects.select_related("cycle", "member__employee", "member__rater").get(pk=plan.pk)], month)
    except IntegrityError:  # created at the same moment by the sweep
        created = []
    return (created[0] if created else MonthlyReport.objects.get(plan=plan, month=month)), bool(created)


def _month(value) -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 3:
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 12:
        raise ValidationError({"month": [_("Give a month from 1 to 12.")]})
    return value


def report_update_realisations(*, report: MonthlyReport, actor, items, origin: dict | None = None) -> MonthlyReport:
    """Set the realisation of indicators of the report's plan (others are left as they are): the
    report's ``edit``, which its flow allows its owner while open or returned.

    ``items`` is what the caller received: a list of dicts with ``indicator`` (an indicator of
    the report's plan: a number, or its digits as text), ``value`` (required) and ``note``
    (optional). Checked here after the engine has checked who may edit; an empty list changes
    nothing and records nothing."""

    def change(flow):
        _require_period(flow)
        locked = flow.document
        indicators = {i.pk: i for i in Indicator.objects.filter(result__plan_id=locked.plan_id)}
        cleaned = clean_realisations(items, indicators)
        if not cleaned:
            return UNCHANGED
        for item in cleaned:
            Realisation.objects.update_or_create(
                report=locked, indicator_id=item["indicator"],
                defaults={"value": item["value"], "note": item["note"],
                          "indicator_description": indicators[item["indicator"]].description},
            )
        return {"realisations": len(cleaned)}

    return edit(report, "edit", actor=actor, change=change, origin=origin).document


def _require_period(flow) -> None:
    """A report its plan's period no longer asks of the employee (a move ended the plan before
    its month, or the employee left) is closed to their changes too, not only to a submit."""
    if flow.closed_for_employee():
        raise InvalidTransition(_("The plan's period ended on %(end)s; this report is closed.") % {"end": flow.document.plan.end},
                                status=flow.document.status)


def clean_realisations(items, indicators: dict[int, Indicator]) -> list[dict]:
    """The realisations as stored (text stripped, ids as numbers), or a ValidationError naming
    every field that breaks a rule."""
    if not isinstance(items, list):
        raise ValidationError({"realisations": [_("Give the realisations as a list.")]})
    errors = Errors()
    cleaned, seen = [], set()
    for index, item in enumerate(items):
        where = f"realisations[{index}]"
        if not isinstance(item, dict):
            errors.add(where, _("Give each realisation as an object with its fields."))
            continue
        key, foreign = f"{where}.indicator", _("This indicator is not part of the report's plan.")
        indicator = reference(errors, key, item.get("indicator"), foreign)
        if indicator in seen:
            errors.add(key, _("This indicator is given twice."))
        elif indicator not in indicators and key not in errors.by_field:
            errors.add(key, foreign)
        seen.add(indicator)
        value = text(errors, f"{where}.value", item.get("value"), max_length=VALUE_MAX, required=_("Give the realisation."))
        note = text(errors, f"{where}.note", item.get("note"), max_length=NOTE_MAX)
        cleaned.append({"indicator": indicator, "value": value, "note": note})
    errors.raise_any()
    return cleaned


def validate_upload(rules: dict, upload) -> tuple[str, str]:
    """The file's extension and the content type its content was found to be, if the rule set
    allows this upload; else a ValidationError that says why. The extension names what the file
    must be, and its content must be that (evidence_files.detect): a claim by the sender (the
    content type sent with the file) counts for nothing."""
    evidence = rules["evidence"]
    extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
    if upload.size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    if upload.size > evidence["max_bytes"]:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.") % {"mb": round(evidence["max_bytes"] / 1048576, 1)}]})
    if extension not in evidence["extensions"]:
        raise ValidationError({"file": [_("Files of type “%(ext)s” are not accepted; allowed: %(allowed)s.")
                                        % {"ext": extension or "?", "allowed": ", ".join(evidence["extensions"])}]})
    found = evidence_files.detect(upload)
    if found is None or found != evidence_files.kind_of_extension(extension):
        raise ValidationError({"file": [_("The file's content is not a %(ext)s file.") % {"ext": extension}]})
    return extension, evidence_files.CONTENT_TYPES[found]


def download_name(evidence: Evidence) -> str:
    """The name a downloaded file is saved under: its name as given, with the stored file's
    extension (the one its content was checked against) added when the name lacks it."""
    suffix = PurePath(evidence.file.name).suffix
    name = evidence.name or f"evidence-{evidence.pk}"
    return name if name.lower().endswith(suffix.lower()) else f"{name}{suffix}"


def download_content_type(evidence: Evidence) -> str:
    """The type a stored file is served with: the one found from its content when it was checked
    (by its extension, so files stored before the content type was recorded are served right)."""
    return evidence_files.content_type_of(PurePath(evidence.file.name).suffix.lstrip("."))


def evidence_add(*, report: MonthlyReport, actor, upload=None, url: str | None = None, name: str | None = "",
                 origin: dict | None = None) -> Evidence:
    """Attach an uploaded file (through Django's storage) or a link to a report: the report's
    ``add_evidence`` edit: ``upload``, or else ``url`` (``None`` when not given; a blank ``url``
    is a link left empty, refused); ``name`` is optional (the file's name or the address by
    default)."""

    def change(flow) -> dict:
        _require_period(flow)
        locked = flow.document
        rules = locked.cycle.rules
        errors = Errors()
        address = ""
        label = text(errors, "name", name, max_length=NAME_MAX)
        if upload is not None and url:
            errors.add("file", _("Send either a file or a link, not both."))
        elif upload is None and url is None:
            errors.add("file", _("Choose a file, or give a link."))
        elif upload is None:
            address = _link(url, errors)
        elif problem := text_problem(upload.name or ""):
            errors.add("file", _("The file's name: %(problem)s") % {"problem": problem})
        errors.raise_any()
        if locked.evidence.count() >= rules["evidence"]["max_items"]:
            raise ValidationError({"file": [_("A report holds at most %(n)s pieces of evidence.") % {"n": rules["evidence"]["max_items"]}]})
        if upload is not None:
            extension, content_type = validate_upload(rules, upload)
            stem = PurePath(upload.name).stem or "evidence"  # the storage shortens a long one
            evidence = Evidence(report=locked, kind=Evidence.Kind.FILE, name=(label or upload.name)[:NAME_MAX], size=upload.size,
                                content_type=content_type, uploaded_by=actor)
            # Stored under its own extension in lower case: the one its content was checked against.
            evidence.file.save(f"{stem}.{extension}", upload, save=False)
        else:
            evidence = Evidence(report=locked, kind=Evidence.Kind.LINK, url=address, name=(label or address)[:NAME_MAX],
                                uploaded_by=actor)
        evidence.save()
        added.append(evidence)
        return {"evidence": evidence.pk, "kind": evidence.kind, "name": evidence.name, "size": evidence.size}

    added: list[Evidence] = []
    edit(report, "add_evidence", actor=actor, change=change, origin=origin)
    return added[0]


def _link(url, errors: Errors) -> str:
    if not isinstance(url, str):
        errors.add("url", _("Give a web address starting with http:// or https://."))
        return ""
    url = url.strip()
    if len(url) > URL_MAX:
        errors.add("url", _("The web address is too long."))
        return url
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors.add("url", _("Give a web address starting with http:// or https://."))
    return url


def evidence_delete(*, evidence: Evidence, actor, origin: dict | None = None) -> None:
    """Remove a piece of evidence from its report (the report's ``delete_evidence`` edit); a
    file leaves storage once the removal has committed."""

    def change(flow) -> dict:
        _require_period(flow)
        file_name = evidence.file.name if evidence.kind == Evidence.Kind.FILE else ""
        deleted = Evidence.objects.filter(pk=evidence.pk, report=flow.document).delete()[0]
        if not deleted:
            raise ValidationError({"evidence": [_("This evidence is not part of the report.")]})
        if file_name:
            storage = evidence.file.storage
            transaction.on_commit(lambda: storage.delete(file_name))
        return {"evidence": evidence.pk, "name": evidence.name}

    edit(evidence.report, "delete_evidence", actor=actor, change=change, origin=origin)

