"""HR's lists of a cycle: reports submitted late or past due, open tasks past due with who
holds them, and this month's joiners, movers and leavers. HR's cycle page shows their first
rows; the API pages through the first two."""

from __future__ import annotations

import calendar
import datetime
from typing import Callable

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from org.services import hr_scope_units
from workflow.models import OpenTask

from ..labels import labels_of
from ..models import Assessment, Cycle, MonthlyReport, Objection, Plan, UnitReview

# The page shows this many rows of each list; a list no longer than this is counted by its rows.
LIST_LIMIT = 50
DOCUMENT_MODELS = (Plan, MonthlyReport, Assessment, UnitReview, Objection)
UNSUBMITTED = (MonthlyReport.Status.OPEN, MonthlyReport.Status.RETURNED)


class Listing:
    """The rows of an ordered queryset, sliced as a page asks and completed by ``complete``,
    with a count of their own: exact while the list is short, else from a cheaper query kept as
    long as the progress snapshot stays fresh. A Django ``Paginator`` (and so the API's
    pagination) takes it like a queryset."""

    ordered = True

    def __init__(self, queryset: QuerySet, *, count: Callable[[], int], count_key: str, complete: Callable[[list], None]):
        self.queryset, self._count, self.count_key, self._complete = queryset, count, count_key, complete
        self._counted: int | None = None

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index:index + 1][0]
        rows = list(self.queryset[index])
        self._complete(rows)
        return rows

    def count(self) -> int:
        if self._counted is None:
            short = len(self.queryset.values("pk")[:LIST_LIMIT])
            self._counted = short if short < LIST_LIMIT else _kept_as_long_as_progress(self.count_key, self._count)
        return self._counted

    def __len__(self) -> int:
        return self.count()

    def head(self, limit: int = LIST_LIMIT) -> dict:
        """The first rows and the count, as HR's page shows them (no count query for a short list)."""
        rows = self[:limit]
        if len(rows) < limit and limit <= LIST_LIMIT:
            self._counted = len(rows)
        return {"rows": rows, "count": self.count()}


def _kept_as_long_as_progress(key: str, count: Callable[[], int]) -> int:
    """A count that joins a large cycle's overdue tasks with its documents (250 ms for 100,000
    people) is kept in the cache as long as a progress snapshot stays fresh; counted on every
    request when snapshots are off."""
    from ..services.progress import max_age  # the progress service reads these selectors

    limit = max_age()
    return count() if limit <= 0 else cache.get_or_set(key, count, timeout=limit)


def late_count_key(cycle_id: int) -> str:
    return f"kinerja:late-count:{cycle_id}"


def overdue_count_key(cycle_id: int) -> str:
    return f"kinerja:overdue-count:{cycle_id}"


def forget_counts(cycle_id: int) -> None:
    """HR asked for a fresh count: the kept counts go with the snapshot."""
    cache.delete_many([overdue_count_key(cycle_id), late_count_key(cycle_id)])


def late_reports(cycle: Cycle) -> Listing:
    """Reports submitted late, and reports past their deadline not submitted yet, each marked
    ``unsubmitted`` or not."""
    late = MonthlyReport.objects.filter(cycle=cycle).filter(Q(late=True) | Q(status__in=UNSUBMITTED, due_at__lt=timezone.now()))
    # In due order, ties by key: a month's reports share one due time, and ordering ties by name
    # sorted every one of them (10,000 in a January) before taking the first page.
    rows = late.select_related("employee", "unit").order_by("due_at", "id")

    def complete(reports: list) -> None:
        for report in reports:
            report.unsubmitted = report.status in UNSUBMITTED

    return Listing(rows, count=late.count, count_key=late_count_key(cycle.pk), complete=complete)


def overdue_tasks(cycle: Cycle) -> Listing:
    """Open tasks of the cycle's documents past their due time, each with its document's
    ``label`` and the name of whoever holds it (``holder``, empty for a vacant position).

    "A document of this cycle" is tested per row with EXISTS on the document's primary key: the
    list then walks the open tasks in due order (index task_open_due) and stops at the page's
    end. The count takes one branch per document type joined by UNION ALL, each an ordinary
    semi-join. (An OR of "document_id IN (this cycle's documents)" left PostgreSQL a subplan that
    re-read a cycle's million reports for each task once they outgrew work_mem: 22 s.)"""
    pending = OpenTask.objects.pending().filter(due_at__lt=timezone.now())
    of_cycle = Q()
    for model in DOCUMENT_MODELS:
        of_cycle |= Q(document_type=model.document_type) & Q(Exists(model.objects.filter(pk=OuterRef("document_id"), cycle=cycle)))
    rows = pending.filter(of_cycle).select_related("assignee__employee", "position").order_by("due_at", "id")

    def count() -> int:
        branches = [pending.filter(document_type=model.document_type, document_id__in=model.objects.filter(cycle=cycle).values("pk"))
                    .values("pk") for model in DOCUMENT_MODELS]
        return branches[0].union(*branches[1:], all=True).count()

    def complete(tasks: list) -> None:
        labels = labels_of((task.document_type, task.document_id) for task in tasks)
        for task in tasks:
            task.label = labels.get(task.document_type, {}).get(task.document_id, f"{task.document_type} #{task.document_id}")
            employee = getattr(task.assignee, "employee", None) if task.assignee_id else None
            task.holder = employee.name if employee else (task.assignee.username if task.assignee_id else "")

    return Listing(rows, count=count, count_key=overdue_count_key(cycle.pk), complete=complete)


# Joiners, movers and leavers this month (docs/periods-and-changes.md) -----------------------------

CHANGES_LIMIT = 20


def _month_of(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = today.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _head(plans: QuerySet, limit: int) -> dict:
    """The first rows and their count (a count query only when the rows fill the page)."""
    rows = list(plans[:limit])
    return {"rows": rows, "count": len(rows) if len(rows) < limit else plans.count()}


def people_changes(cycle: Cycle, user, *, today: datetime.date | None = None, limit: int = CHANGES_LIMIT) -> dict:
    """This month's joiners (plans a join started this month), movers (plans a move started this
    month, and plans a move ended this month whose new plan lies outside HR's units) and leavers
    (plans a leave ended, whose first day out, the day after the plan's
    end, falls in this month), in the units of HR's scope: for each, the count and the first
    rows (plans with ``employee`` and ``unit``, and ``on``: the date of the change). Three
    queries while the lists are short, one more for each list that fills its rows."""
    first, last = _month_of(today or timezone.localdate())
    plans = Plan.objects.filter(cycle=cycle).select_related("employee", "unit")
    if not user.is_superuser:
        plans = plans.filter(unit__in=hr_scope_units(user))
    day = datetime.timedelta(days=1)
    started = plans.filter(start__range=(first, last)).order_by("start", "employee__name", "id")
    moved_in = started.filter(origin=Plan.Origin.MOVE)
    # Who moved out of HR's units (to another agency's cycle scope, or a unit HR does not keep):
    # their old plan ended by the move, with no new plan in HR's units to show it.
    moved_out = Q(ended=Plan.Ended.MOVE, end__range=(first - day, last - day)) & ~Q(employee_id__in=moved_in.values("employee_id"))
    changes = {
        "joiners": _head(started.filter(origin=Plan.Origin.JOIN), limit),
        "movers": _head(plans.filter(Q(origin=Plan.Origin.MOVE, start__range=(first, last)) | moved_out)
                        .order_by("start", "employee__name", "id"), limit),
        "leavers": _head(plans.filter(ended=Plan.Ended.LEAVE, end__range=(first - day, last - day)).order_by("end", "employee__name", "id"),
                         limit),
    }
    for kind, listed in changes.items():
        for plan in listed["rows"]:
            moved_in_now = plan.origin != Plan.Origin.OPENING and first <= plan.start <= last
            plan.on = plan.start if kind != "leavers" and moved_in_now else plan.end + day
    return {"month": first, **changes}
