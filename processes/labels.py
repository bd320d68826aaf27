"""Documents named in words for lists ("SKP 2026 — Putri Ayu"): one query per document type,
whatever the length of the list (the inbox, the HR dashboard)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from .models import Assessment, MonthlyReport, Objection, Plan, UnitReview
from .rules import CORE_VALUES

# The seven BerAKHLAK core values (UU 20/2023), by the code names of ``rules.CORE_VALUES``.
CORE_VALUE_LABELS = {
    "service_orientation": gettext_lazy("Service oriented"),
    "accountability": gettext_lazy("Accountable"),
    "competence": gettext_lazy("Competent"),
    "harmony": gettext_lazy("Harmonious"),
    "loyalty": gettext_lazy("Loyal"),
    "adaptability": gettext_lazy("Adaptive"),
    "collaboration": gettext_lazy("Collaborative"),
}


def core_values() -> list[tuple[str, str]]:
    """(code, label) of each core value, in the regulation's order."""
    return [(code, CORE_VALUE_LABELS[code]) for code in CORE_VALUES]


def _plan_labels(ids) -> dict[int, str]:
    return {
        pk: f"SKP {year} — {name}"
        for pk, year, name in Plan.objects.filter(pk__in=ids).values_list("pk", "cycle__year", "employee__name")
    }


def _report_labels(ids) -> dict[int, str]:
    return {
        pk: f"{month:02d}/{year} — {name}"
        for pk, month, year, name in MonthlyReport.objects.filter(pk__in=ids).values_list("pk", "month", "cycle__year", "employee__name")
    }


def _assessment_labels(ids) -> dict[int, str]:
    return {
        pk: f"{period} {year} — {name}"
        for pk, period, year, name in Assessment.objects.filter(pk__in=ids).values_list("pk", "period", "cycle__year", "employee__name")
    }


def _review_labels(ids) -> dict[int, str]:
    return {
        pk: f"{period} {year} — {unit}"
        for pk, period, year, unit in UnitReview.objects.filter(pk__in=ids).values_list("pk", "period", "cycle__year", "unit__name")
    }


def _objection_labels(ids) -> dict[int, str]:
    return {
        pk: f"{period} {year} — {name}"
        for pk, period, year, name in Objection.objects.filter(pk__in=ids).values_list(
            "pk", "assessment__period", "cycle__year", "employee__name"
        )
    }


# One query per document type on a page, whatever its length.
DOCUMENT_LABELS = {
    "plan": _plan_labels, "report": _report_labels, "assessment": _assessment_labels,
    "unit_review": _review_labels, "objection": _objection_labels,
}


def labels_of(items) -> dict[str, dict[int, str]]:
    """Labels of (document_type, document_id) pairs, by type then id."""
    ids: dict[str, list[int]] = {}
    for document_type, document_id in items:
        ids.setdefault(document_type, []).append(document_id)
    return {kind: DOCUMENT_LABELS[kind](pks) for kind, pks in ids.items() if kind in DOCUMENT_LABELS}
