"""Dates of plan periods and evaluation periods (docs/periods-and-changes.md)."""

from __future__ import annotations

import calendar
import datetime

from org.models import Employee

# An evaluation period's first and last month.
PERIOD_MONTHS = {
    **{f"M{m:02d}": (m, m) for m in range(1, 13)},
    "Q1": (1, 3), "Q2": (4, 6), "Q3": (7, 9), "Q4": (10, 12),
    "S1": (1, 6), "S2": (7, 12),
    "annual": (1, 12),
}
# The periodic evaluations of each period type, in order (the annual one follows them all).
PERIODIC = {
    "monthly": [f"M{m:02d}" for m in range(1, 13)],
    "quarterly": ["Q1", "Q2", "Q3", "Q4"],
    "semester": ["S1", "S2"],
    "annual": [],
}


def periods_of(period_type: str) -> list[str]:
    """The evaluation periods a cycle of ``period_type`` may start: its periodic ones in order,
    then the annual one."""
    return PERIODIC.get(period_type, []) + ["annual"]


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def evaluation_dates(year: int, period: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of an evaluation period of ``year``."""
    first, last = PERIOD_MONTHS[period]
    return datetime.date(year, first, 1), datetime.date(year, last, calendar.monthrange(year, last)[1])


def plan_period(year: int, employee: Employee, start_on: datetime.date | None = None) -> tuple[datetime.date, datetime.date] | None:
    """The period a new plan of ``employee`` may cover in ``year`` from ``start_on`` (the year's
    first day if None): to the year's end, or a PPPK's contract end if earlier. None: nothing of
    the year is left (a contract that ended before it, or starts after it)."""
    first, last = year_bounds(year)
    begin = max(start_on or first, first)
    if employee.employment_type == Employee.EmploymentType.PPPK:
        if employee.contract_start:
            begin = max(begin, employee.contract_start)
        if employee.contract_end:
            last = min(last, employee.contract_end)
    return (begin, last) if begin <= last else None


def days_in(start: datetime.date, end: datetime.date) -> int:
    return (end - start).days + 1


def months_covered(start: datetime.date, end: datetime.date) -> int:
    """The calendar months a period covers: those in which it holds at least half of the days (a
    move on the 20th leaves the month to the plan before it; on the 16th of a 31-day month, to the
    plan after). What the annual predicate's ``most_months`` compares."""
    months, day = 0, datetime.date(start.year, start.month, 1)
    while day <= end:
        length = calendar.monthrange(day.year, day.month)[1]
        last = datetime.date(day.year, day.month, length)
        held = (min(end, last) - max(start, day)).days + 1
        months += 2 * held >= length
        day = last + datetime.timedelta(days=1)
    return months
