"""Reads: what each user may see, their inbox, progress counts and HR's lists (HackSoft's
"selectors pull"). The API and the pages both read through here; writes live in services."""

from .hr_dashboard import LIST_LIMIT, Listing, forget_counts, late_reports, overdue_tasks
from .inbox import notifications_for, open_tasks_for, unread_count
from .progress import cycle_progress, units_in_scope
from .scoring import fixed_results_rating
from .visibility import (
    assessments_visible_to,
    cycles_visible_to,
    is_hr,
    members_visible_to,
    objections_visible_to,
    plans_visible_to,
    rated_by_condition,
    reports_visible_to,
    superior_condition,
    unit_reviews_visible_to,
    units_visible_to,
    visible_condition,
)

__all__ = [
    "LIST_LIMIT", "Listing", "assessments_visible_to", "cycle_progress", "cycles_visible_to", "fixed_results_rating",
    "forget_counts", "is_hr", "late_reports", "members_visible_to", "notifications_for", "objections_visible_to",
    "open_tasks_for", "overdue_tasks", "plans_visible_to", "rated_by_condition", "reports_visible_to",
    "superior_condition", "unit_reviews_visible_to", "units_in_scope", "units_visible_to", "unread_count",
    "visible_condition",
]
