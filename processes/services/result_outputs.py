"""Outputs of ratified results: the evaluation document (PDF) and the export (XLSX, CSV) that
the performance allowance and the national HR system read."""

from __future__ import annotations

import csv
import io

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..models import Assessment
from ..selectors.privacy import RESULT_SHOWN

# Written in both languages whatever the reader's: the document is shared and printed. Kept in
# the PDF's metadata (subject) as well as on its first line.
NOT_RATIFIED_MARK = "Belum ditetapkan / Not yet ratified"
RATIFIED_MARK = "Ditetapkan / Ratified"
# From the forum's approval (issued) the result is a document the employee may object to.
DOCUMENT_STATUSES = RESULT_SHOWN

PERIOD_LABELS = {"Q1": "Triwulan I / Q1", "Q2": "Triwulan II / Q2", "Q3": "Triwulan III / Q3", "Q4": "Triwulan IV / Q4"}


def ratified_results(cycle, *, unit_id: int | None = None, period: str | None = None) -> QuerySet[Assessment]:
    results = (
        Assessment.objects.filter(cycle=cycle, status=Assessment.Status.RATIFIED)
        .select_related("employee", "unit", "unit_review", "led_review", "member__position", "member__rater",
                        "member__raters_superior", "cycle")
        .order_by("period", "unit__path", "employee__name")
    )
    if unit_id:
        results = results.filter(unit_id=unit_id)
    if period:
        results = results.filter(period=period)
    return results


def _period(assessment: Assessment) -> str:
    return f"{PERIOD_LABELS.get(assessment.period, _('Annual'))} {assessment.cycle.year}"


def _person(employee) -> str:
    return f"{employee.name} (NIP {employee.nip})" if employee else "-"


def evaluation_document_pdf(assessment: Assessment) -> bytes:
    """Dokumen Evaluasi Kinerja Pegawai: period, employee, rater, rater's superior, unit
    predicate, employee predicate, notes. Available from the issue of the result (the objection
    window runs from it), marked "not yet ratified" until the ratifying official ratifies."""
    if assessment.status not in DOCUMENT_STATUSES:
        raise ValueError(assessment.status)
    ratified = assessment.status == Assessment.Status.RATIFIED
    mark = RATIFIED_MARK if ratified else NOT_RATIFIED_MARK
    member = assessment.member
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
                            title=_("Employee Performance Evaluation Document"), subject=mark)
    rows = [
        [_("Period"), _period(assessment)],
        [_("Employee"), _person(assessment.employee)],
        [_("Position"), member.position.title if member.position else "-"],
        [_("Unit"), assessment.unit.name],
        [_("Rater"), _person(member.rater)],
        [_("Rater's superior"), _person(member.raters_superior)],
        [_("Unit predicate"), assessment.get_unit_predicate_display()],
        [_("Results rating"), assessment.get_results_rating_display()],
        [_("Behaviour rating"), assessment.get_behaviour_rating_display()],
        [_("Employee predicate"), assessment.get_predicate_display()],
        *_change_rows(assessment),
        [_("Notes"), Paragraph(assessment.note or "-", styles["BodyText"])],
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


def _change_rows(assessment: Assessment) -> list[list[str]]:
    """The latest change of the rater's ratings, if any: by whom, and the predicate before it."""
    if not assessment.changed_by:
        return []
    return [[_("Changed by"), f"{assessment.get_changed_by_display()} ({_('before')}: {assessment.get_previous_predicate_display()})"]]


EXPORT_COLUMNS = [
    "year", "period", "nip", "name", "employment_type", "unit_code", "unit", "position", "rater_nip", "rater",
    "raters_superior_nip", "unit_predicate", "results_rating", "behaviour_rating", "predicate", "changed_by", "predicate_before_change",
]


def _rows(results):
    for a in results:
        member = a.member
        yield [
            a.cycle.year, a.period, a.employee.nip, a.employee.name, a.employee.employment_type, a.unit.code, a.unit.name,
            member.position.title if member.position else "", member.rater.nip if member.rater else "",
            member.rater.name if member.rater else "", member.raters_superior.nip if member.raters_superior else "",
            a.unit_predicate, a.results_rating, a.behaviour_rating, a.predicate, a.changed_by, a.previous_predicate,
        ]


def results_csv(results) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(_rows(results.iterator(chunk_size=2000)))
    return out.getvalue().encode("utf-8-sig")  # with a BOM, so spreadsheets read the names right


def results_xlsx(results) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("hasil")
    sheet.append(EXPORT_COLUMNS)
    for row in _rows(results.iterator(chunk_size=2000)):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = [
    "DOCUMENT_STATUSES", "NOT_RATIFIED_MARK", "RATIFIED_MARK", "evaluation_document_pdf", "results_csv", "results_xlsx",
    "ratified_results",
]
