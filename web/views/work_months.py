"""The months of an approved plan: each month's report, or the owner's button to start it."""

from __future__ import annotations

import datetime

from django.utils import timezone

from processes.flows.report import ReportFlow
from processes.models import MonthlyReport, Plan


def months_started(year: int) -> int:
    """How many months of ``year`` have begun (Asia/Jakarta)."""
    today = timezone.localdate()
    return 12 if year < today.year else today.month if year == today.year else 0


def report_row(report: MonthlyReport, now: datetime.datetime) -> dict:
    return {"month": report.month, "date": datetime.date(report.cycle.year, report.month, 1), "report": report,
            "overdue": report.status in ReportFlow.edits["edit"].states and report.due_at < now}


def report_months(plan: Plan, *, owner: bool, reports: list[MonthlyReport] | None = None) -> list[dict]:
    """Every month that has begun: its report (status, late, overdue), or, for whoever may start
    it (``owner``: ``report_may_start``, the service's rule), a start button (the monthly sweep
    creates them too)."""
    if reports is None:
        reports = list(MonthlyReport.objects.filter(plan=plan))
    by_month = {r.month: r for r in reports}
    now = timezone.now()
    rows = []
    for month in sorted(set(range(1, months_started(plan.cycle.year) + 1)) | set(by_month)):
        report = by_month.get(month)
        if report is not None:
            report.cycle = plan.cycle
            rows.append(report_row(report, now))
        else:
            rows.append({"month": month, "date": datetime.date(plan.cycle.year, month, 1), "report": None, "can_start": owner})
    return rows
