"""The rule set: every number a regulation fixes, held as data per cycle.

A cycle copies the rule set's data when it is created, so a later change of the default rule
set (a new regulation) changes new cycles only, never a running one.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

RATINGS = ["above", "as_expected", "below"]
EMPLOYEE_PREDICATES = ["very_good", "good", "needs_improvement", "poor", "very_poor"]
UNIT_PREDICATES = ["outstanding", "good", "needs_improvement", "poor", "very_poor"]

# PermenPANRB 6/2022 and SE MenPANRB 3/2023, as in shared/domain.md.
DEFAULT_RULES = {
    "regulation": "PermenPANRB 6/2022; SE MenPANRB 3/2023; PP 30/2019",
    "plan_review_days": 5,
    "remind_days_before": 3,
    "escalate_days_after": 3,
    "predicate_matrix": {
        "above": {"above": "very_good", "as_expected": "good", "below": "poor"},
        "as_expected": {"above": "good", "as_expected": "good", "below": "poor"},
        "below": {"above": "needs_improvement", "as_expected": "needs_improvement", "below": "very_poor"},
    },
    "objection_window": {"days": 14, "day_kind": "calendar", "holidays": []},
}


def default_rules() -> dict:
    return copy.deepcopy(DEFAULT_RULES)


def validate_rules(data: dict) -> None:
    """Refuse a rule set that the processes could not run on."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise ValidationError(_("A rule set is a JSON object."))
    for key in ("plan_review_days", "remind_days_before", "escalate_days_after"):
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 365:
            errors[key] = [_("A whole number of days from 0 to 365 is required.")]
    matrix = data.get("predicate_matrix")
    if not (
        isinstance(matrix, dict)
        and set(matrix) == set(RATINGS)
        and all(isinstance(row, dict) and set(row) == set(RATINGS) for row in matrix.values())
        and all(value in EMPLOYEE_PREDICATES for row in matrix.values() for value in row.values())
    ):
        errors["predicate_matrix"] = [
            _("The predicate matrix needs a predicate for each pair of results and behaviour ratings.")
        ]
    if errors:
        raise ValidationError(errors)
