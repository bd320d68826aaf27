"""Outputs of ratified results: the evaluation document (PDF) and the export (XLSX, CSV) that
the performance allowance and the national HR system read."""

from __future__ import annotations

import csv
import datetime
import io
from xml.sax.saxutils import escape

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from org.ranks import grade_label

from ..models import Assessment, Predicate
from ..rules import annual_predicate_option
from ..selectors.annual import AnnualResult, annual_result, derive
from ..selectors.privacy import RESULT_SHOWN

# Written in both languages whatever the reader's: the document is shared and printed. Kept in
# the PDF's metadata (subject) as well as on its first line.
NOT_RATIFIED_MARK = "Belum ditetapkan / Not yet ratified"
RATIFIED_MARK = "Ditetapkan / Ratified"
# From the forum's approval (issued) the result is a document the employee may object to.
DOCUMENT_STATUSES = RESULT_SHOWN

MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November",
             "Desember"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
             "December"]
PERIOD_LABELS = {
    "Q1": "Triwulan I / Q1", "Q2": "Triwulan II / Q2", "Q3": "Triwulan III / Q3", "Q4": "Triwulan IV / Q4",
    "S1": "Semester I / S1", "S2": "Semester II / S2",
    **{f"M{m:02d}": f"{MONTHS_ID[m - 1]} / {MONTHS_EN[m - 1]}" for m in range(1, 13)},
}
# How the rule set derives the annual predicate of someone with several plans (processes/selectors/annual.py).
ANNUAL_OPTION_LABELS = {
    "most_months": gettext_lazy("the plan that covers the most months (a tie: the later plan)"),
    "latest": gettext_lazy("the latest plan"),
    "weighted": gettext_lazy("the predicates' average weighted by days"),
}


def ratified_results(cycle, *, unit_id: int | None = None, period: str | None = None) -> QuerySet[Assessment]:
    results = (
        Assessment.objects.filter(cycle=cycle, status=Assessment.Status.RATIFIED)
        .select_related("employee", "unit", "unit_review", "led_review", "member__position", "member__rater",
                        "member__raters_superior", "member__plan", "cycle")
        .order_by("period", "unit__path", "employee__name")
    )
    if unit_id:
        results = results.filter(unit_id=unit_id)
    if period:
        results = results.filter(period=period)
    return results


def period_label(assessment: Assessment) -> str:
    return f"{PERIOD_LABELS.get(assessment.period, _('Annual'))} {assessment.cycle.year}"


def _person(employee) -> str:
    return f"{employee.name} (NIP {employee.nip})" if employee else "-"


def day(value) -> str:
    """A date as the document prints it: "1 Juli 2026" (an ISO string or a date)."""
    return date_format(datetime.date.fromisoformat(value) if isinstance(value, str) else value, "j F Y")


def position_kind(position) -> str:
    """"Functional (jabatan fungsional), First expert (ahli pertama)"; "-" without a position."""
    if position is None:
        return "-"
    kind = position.get_kind_display()
    return f"{kind}, {position.get_functional_level_display()}" if position.functional_level else kind


def plan_period_text(plan) -> str:
    """"1 Juli 2026 – 31 Desember 2026", and how the period ended early, if it did."""
    if plan is None:
        return "-"
    period = f"{day(plan.start)} – {day(plan.end)}"
    if plan.ended:
        period += f" ({plan.get_ended_display()}" + (f": {plan.get_leave_reason_display()}" if plan.leave_reason else "") + ")"
    return period


def annual_rows(result: AnnualResult) -> list[dict]:
    """The derivation's parts as a page or a document shows them."""
    predicates = dict(Predicate.choices)
    return [{"period": f"{day(part.start)} – {day(part.end)}", "months": part.months, "rater": part.rater or "-",
             "predicate": predicates.get(part.predicate, "") if part.predicate else "", "chosen": part.chosen}
            for part in result.parts]


def annual_summary(result: AnnualResult) -> str:
    """One line: the option and the derived predicate, or how many plans' results it waits for."""
    option = ANNUAL_OPTION_LABELS.get(result.option, result.option)
    if result.waiting:
        return _("%(option)s; waiting for the result of %(n)s plan(s)") % {"option": option, "n": result.waiting}
    return _("%(option)s: %(predicate)s") % {"option": option, "predicate": dict(Predicate.choices).get(result.predicate, "")}


def evaluation_document_pdf(assessment: Assessment) -> bytes:
    """Dokumen Evaluasi Kinerja Pegawai: period, employee (employment type, rank, position and
    its kind), the plan's period, rater, rater's superior, unit predicate, employee predicate,
    the annual derivation of someone with several plans, notes. Available from the issue of the result (the objection
    window runs from it), marked "not yet ratified" until the ratifying official ratifies."""
    if assessment.status not in DOCUMENT_STATUSES:
        raise ValueError(assessment.status)
    ratified = assessment.status == Assessment.Status.RATIFIED
    mark = RATIFIED_MARK if ratified else NOT_RATIFIED_MARK
    member = assessment.member
    plan, employee = getattr(member, "plan", None), assessment.employee
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
                            title=_("Employee Performance Evaluation Document"), subject=mark)
    rows = [
        [_("Period"), period_label(assessment)],
        [_("Employee"), _person(employee)],
        [_("Employment type"), employee.get_employment_type_display()],
        [_("Rank/grade (pangkat/golongan)"), grade_label(assessment.member.grade or employee.grade) or "-"],
        [_("Position"), member.position.title if member.position else "-"],
        [_("Kind of position"), position_kind(member.position)],
        [_("Unit"), assessment.unit.name],
        [_("Plan period"), plan_period_text(plan)],
        [_("Rater"), _person(member.rater)],
        [_("Rater's superior"), _person(member.raters_superior)],
        [_("Unit predicate"), assessment.get_unit_predicate_display()],
        [_("Results rating"), assessment.get_results_rating_display()],
        [_("Behaviour rating"), assessment.get_behaviour_rating_display()],
        [_("Employee predicate"), assessment.get_predicate_display()],
        *_change_rows(assessment),
        *_annual_rows(assessment, styles),
        # Paragraph reads markup: a note's "<" or "&" would break the document.
        [_("Notes"), Paragraph(escape(assessment.note or "-").replace("\n", "<br/>"), styles["BodyText"])],
        [_("Ratified"), timezone.localtime(assessment.updated_at).strftime("%Y-%m-%d %H:%M") if ratified else mark],
    ]
    table = Table(rows, colWidths=[5 * cm, 12 * cm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    doc.build([
        Paragraph(_("Employee Performance Evaluation Document"), styles["Title"]),
        Paragraph(f"{assessment.cycle.name}", styles["Heading2"]),
        Paragraph(mark.upper(), styles["Heading3"] if ratified else styles["Heading1"]),
        Spacer(1, 0.5 * cm),
        table,
    ])
    return buffer.getvalue()


def _annual_rows(assessment: Assessment, styles) -> list[list]:
    """For someone with several plans in the year: each plan's period, months, rater and
    predicate (the one chosen marked), then the rule set's option and the derived predicate."""
    result = annual_result(assessment)
    if result is None:
        return []
    parts = [[_("Period"), _("Months"), _("Rater"), _("Predicate")]] + [
        [row["period"], f"{row['months']:g}", Paragraph(escape(row["rater"]), styles["BodyText"]),
         Paragraph((row["predicate"] or _("waiting")) + (f" ({_('chosen')})" if row["chosen"] else ""), styles["BodyText"])]
        for row in annual_rows(result)
    ]
    table = Table(parts, colWidths=[4.6 * cm, 1.4 * cm, 3 * cm, 2.6 * cm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [[_("Plans of the year"), table], [_("Annual predicate"), Paragraph(escape(annual_summary(result)), styles["BodyText"])]]


def _change_rows(assessment: Assessment) -> list[list[str]]:
    """The latest change of the rater's ratings, if any: by whom, and the predicate before it."""
    if not assessment.changed_by:
        return []
    return [[_("Changed by"), f"{assessment.get_changed_by_display()} ({_('before')}: {assessment.get_previous_predicate_display()})"]]


# Codes, as the national HR system reads them. New columns go at the end: readers find the
# older ones where they were.
EXPORT_COLUMNS = [
    "year", "period", "nip", "name", "employment_type", "unit_code", "unit", "position", "rater_nip", "rater",
    "raters_superior_nip", "unit_predicate", "results_rating", "behaviour_rating", "predicate", "changed_by", "predicate_before_change",
    # Issue 15: rank, kind of position, the plan's period and the annual derivation of someone with several plans.
    "grade", "grade_label", "position_kind", "functional_level", "plan_start", "plan_end", "plan_ended", "leave_reason",
    "annual_option", "annual_parts", "annual_predicate",
    "position_start", "contract_start", "contract_end",
]


def annual_derivations(results: QuerySet[Assessment]) -> dict[tuple[int, int], AnnualResult]:
    """The annual derivation of every exported employee with several plans in the annual
    evaluation, by (evaluation, employee): two queries whatever the export's length (one finds
    who has several, one reads their assessments)."""
    annual = results.filter(period="annual").order_by()
    several = (Assessment.objects.filter(period="annual", evaluation_id__in=annual.values("evaluation_id"),
                                         employee_id__in=annual.values("employee_id"))
               .order_by().values("evaluation_id", "employee_id").annotate(plans=Count("id")).filter(plans__gt=1))
    keys = {(row["evaluation_id"], row["employee_id"]) for row in several}
    if not keys:
        return {}
    siblings: dict[tuple[int, int], list[Assessment]] = {}
    rows = (Assessment.objects.filter(evaluation_id__in={e for e, _x in keys}, employee_id__in={p for _x, p in keys})
            .select_related("member__plan", "member__rater", "cycle").order_by("member__plan__start"))
    for a in rows:
        if (a.evaluation_id, a.employee_id) in keys:
            siblings.setdefault((a.evaluation_id, a.employee_id), []).append(a)
    # The export carries ratified results only: a part issued but not ratified waits.
    return {key: derive(found, annual_predicate_option(found[0].cycle.rules), counted=(Assessment.Status.RATIFIED,))
            for key, found in siblings.items()}


def _annual_columns(result: AnnualResult | None) -> list:
    if result is None:
        return ["", "", ""]
    parts = "; ".join(f"{p.start}/{p.end} {p.months:g} {p.predicate or '-'}" + (" *" if p.chosen else "") for p in result.parts)
    return [result.option, parts, result.predicate]


def _rows(results, derivations: dict):
    for a in results:
        member, employee = a.member, a.employee
        position, plan = member.position, getattr(member, "plan", None)
        yield [
            a.cycle.year, a.period, employee.nip, employee.name, employee.employment_type, a.unit.code, a.unit.name,
            position.title if position else "", member.rater.nip if member.rater else "",
            member.rater.name if member.rater else "", member.raters_superior.nip if member.raters_superior else "",
            a.unit_predicate, a.results_rating, a.behaviour_rating, a.predicate, a.changed_by, a.previous_predicate,
            member.grade or employee.grade, grade_label(member.grade or employee.grade),
            position.kind if position else "", position.functional_level if position else "",
            *([plan.start.isoformat(), plan.end.isoformat(), plan.ended, plan.leave_reason] if plan else ["", "", "", ""]),
            *_annual_columns(derivations.get((a.evaluation_id, a.employee_id))),
            *[day.isoformat() if day else "" for day in (employee.position_start, employee.contract_start, employee.contract_end)],
        ]


def results_csv(results) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(_rows(results.iterator(chunk_size=2000), annual_derivations(results)))
    return out.getvalue().encode("utf-8-sig")  # with a BOM, so spreadsheets read the names right


def results_xlsx(results) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("hasil")
    sheet.append(EXPORT_COLUMNS)
    for row in _rows(results.iterator(chunk_size=2000), annual_derivations(results)):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = [
    "ANNUAL_OPTION_LABELS", "DOCUMENT_STATUSES", "NOT_RATIFIED_MARK", "RATIFIED_MARK", "annual_derivations", "annual_rows",
    "annual_summary", "evaluation_document_pdf", "plan_period_text", "position_kind", "results_csv", "results_xlsx", "ratified_results",
]
