"""The rule set: every number a regulation fixes, held as data per cycle.

A cycle copies the rule set's data when it is created, so a later change of the default rule
set (a new regulation) changes new cycles only, never a running one.
"""

from __future__ import annotations

import copy
import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .services.evidence_files import KIND_OF_EXTENSION

RATINGS = ["above", "as_expected", "below"]
EMPLOYEE_PREDICATES = ["very_good", "good", "needs_improvement", "poor", "very_poor"]
UNIT_PREDICATES = ["outstanding", "good", "needs_improvement", "poor", "very_poor"]
CORE_VALUES = ["service_orientation", "accountability", "competence", "harmony", "loyalty", "adaptability", "collaboration"]
# "Sebagian besar" in the patterns: more than half of the unit, or more than any other predicate.
MOST_READINGS = ["majority", "plurality"]
ANNUAL_PREDICATE_OPTIONS = ["most_months", "latest", "weighted"]
DISTRIBUTION_OPS = ["most", "at_least_share", "at_most_share", "at_least_count", "at_most_count"]


def _rule(op: str, predicates: list[str], value: float | int | None = None) -> dict:
    rule = {"op": op, "predicates": predicates}
    if value is not None:
        rule["value"] = value
    return rule


# PermenPANRB 6/2022, SE MenPANRB 3/2023 and PP 30/2019, as docs/predicates-and-distribution.md sets them out.
DEFAULT_RULES = {
    "regulation": "PermenPANRB 6/2022; SE MenPANRB 3/2023; PP 30/2019",
    "plan_review_days": 5,
    "remind_days_before": 3,
    "escalate_days_after": 3,
    # Task deadlines in "calendar" or "working" days (weekends and the holidays listed skipped).
    "deadline_day_kind": "calendar",
    # Monthly reports: due on this day of the following month; the rater reviews within N days.
    "report_due_day": 5,
    "report_review_days": 5,
    # Scoring: the rater scores within N days of the period's start; the forum within N more.
    "scoring_days": 14,
    "forum_days": 14,
    "ratification_days": 14,
    # How much one plan may hold: far above a real SKP (a handful of results, a few indicators
    # each), low enough that one request stays cheap to check, store and show. A rule set without
    # this key (one copied before it existed) has these numbers (plan_limits).
    "plan": {"max_results": 30, "max_indicators": 10},
    # A plan started during the year (a join, a move) is due this many days after its start.
    "new_plan_days": 30,
    # The annual predicate of someone with several plans in the year (docs/periods-and-changes.md):
    # "most_months" (the plan that covers the most months; a tie goes to the later plan),
    # "latest" (the last plan's), or "weighted" (the predicates' average weighted by days).
    "annual_predicate": "most_months",
    "evidence": {
        "max_bytes": 10 * 1024 * 1024,
        "extensions": ["pdf", "png", "jpg", "jpeg", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods"],
        "max_items": 20,
    },
    "predicate_matrix": {
        "above": {"above": "very_good", "as_expected": "good", "below": "poor"},
        "as_expected": {"above": "good", "as_expected": "good", "below": "poor"},
        "below": {"above": "needs_improvement", "as_expected": "needs_improvement", "below": "very_poor"},
    },
    # The results rating of a unit's leader follows the unit's predicate.
    "leader_results_rating": {
        "outstanding": "above", "good": "as_expected", "needs_improvement": "below", "poor": "below", "very_poor": "below",
    },
    # How "most" (sebagian besar) in a pattern is read: "majority" (more than half) or "plurality".
    "most_reading": "majority",
    # Guidance the forum sees and must justify departures from; not a hard block.
    "distribution": {
        "outstanding": [_rule("most", ["very_good"]), _rule("at_most_share", ["very_good"], 0.70)],
        "good": [
            _rule("most", ["good"]),
            _rule("at_most_share", ["good"], 0.70),
            _rule("at_least_count", ["needs_improvement", "poor"], 1),
        ],
        "needs_improvement": [
            _rule("at_least_share", ["needs_improvement"], 0.60),
            _rule("at_most_share", ["very_good"], 0.10),
        ],
        "poor": [
            _rule("at_least_share", ["poor"], 0.60),
            _rule("at_least_share", ["needs_improvement"], 0.10),
            _rule("at_most_share", ["very_good"], 0.10),
        ],
        "very_poor": [
            _rule("at_least_share", ["very_poor"], 0.60),
            _rule("at_least_share", ["poor", "needs_improvement"], 0.10),
            _rule("at_most_count", ["very_good"], 0),
        ],
    },
    # PP 30/2019 art. 59: 14 days after the result is issued. "working" days skip weekends and
    # the holidays listed (Indonesian public holidays and cuti bersama, set per rule set).
    "objection_window": {"days": 14, "day_kind": "calendar", "holidays": []},
    "objection_explanation_days": 5,
    # Colleague feedback (360): answered within N days; shown only once this many have answered,
    # so that no answer can be traced to its author.
    "feedback_days": 14,
    "feedback_min_answers": 3,
    "objection_decision_days": 14,
}


# The most a rule set may allow: what the plan page and its approved versions are built for.
PLAN_CEILING = {"max_results": 100, "max_indicators": 50}


def default_rules() -> dict:
    return copy.deepcopy(DEFAULT_RULES)


def plan_limits(rules: dict) -> tuple[int, int]:
    """(results per plan, indicators per result) of the rule set; the defaults for a rule set
    copied before the limits were rules."""
    limits = {**DEFAULT_RULES["plan"], **(rules.get("plan") or {})}
    return limits["max_results"], limits["max_indicators"]


def _is_days(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 365


def validate_rules(data: dict) -> None:
    """Refuse a rule set that the processes could not run on, naming each bad key."""
    if not isinstance(data, dict):
        raise ValidationError(_("A rule set is a JSON object."))
    errors: dict[str, list[str]] = {}
    for key in (
        "plan_review_days", "remind_days_before", "escalate_days_after", "report_review_days", "scoring_days",
        "forum_days", "ratification_days", "objection_explanation_days", "objection_decision_days", "feedback_days",
    ):
        if not _is_days(data.get(key)):
            errors[key] = [_("A whole number of days from 0 to 365 is required.")]
    if data.get("deadline_day_kind", "calendar") not in ("calendar", "working"):
        errors["deadline_day_kind"] = [_("calendar or working")]
    threshold = data.get("feedback_min_answers")
    if not (isinstance(threshold, int) and not isinstance(threshold, bool) and 2 <= threshold <= 50):
        errors["feedback_min_answers"] = [_("At least 2 answers (up to 50) before feedback is shown.")]
    due_day = data.get("report_due_day")
    if not (isinstance(due_day, int) and not isinstance(due_day, bool) and 1 <= due_day <= 28):
        errors["report_due_day"] = [_("A day of the month from 1 to 28 is required.")]
    _validate_matrix(data.get("predicate_matrix"), errors)
    leader = data.get("leader_results_rating")
    if not (isinstance(leader, dict) and set(leader) == set(UNIT_PREDICATES) and set(leader.values()) <= set(RATINGS)):
        errors["leader_results_rating"] = [_("A results rating is needed for each unit predicate.")]
    _validate_distribution(data.get("distribution"), errors)
    if data.get("most_reading", "majority") not in MOST_READINGS:
        errors["most_reading"] = [_("majority or plurality")]
    _validate_window(data.get("objection_window"), errors)
    _validate_evidence(data.get("evidence"), errors)
    _validate_plan(data.get("plan", DEFAULT_RULES["plan"]), errors)
    if not _is_days(data.get("new_plan_days", DEFAULT_RULES["new_plan_days"])):
        errors["new_plan_days"] = [_("A whole number of days from 0 to 365 is required.")]
    if data.get("annual_predicate", DEFAULT_RULES["annual_predicate"]) not in ANNUAL_PREDICATE_OPTIONS:
        errors["annual_predicate"] = [_("most_months, latest or weighted")]
    if errors:
        raise ValidationError(errors)


def validate_rules_field(value) -> None:
    """validate_rules for a model field's validators, which must raise a list of messages (a
    field validator may not raise errors keyed by name): each message says its key."""
    try:
        validate_rules(value)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise ValidationError(
                [f"{key}: {message}" for key, messages in error.message_dict.items() for message in messages]
            ) from None
        raise


def _validate_matrix(matrix, errors) -> None:
    if not (
        isinstance(matrix, dict)
        and set(matrix) == set(RATINGS)
        and all(isinstance(row, dict) and set(row) == set(RATINGS) for row in matrix.values())
        and all(value in EMPLOYEE_PREDICATES for row in matrix.values() for value in row.values())
    ):
        errors["predicate_matrix"] = [
            _("The predicate matrix needs a predicate for each pair of results and behaviour ratings.")
        ]


def _validate_distribution(distribution, errors) -> None:
    ok = isinstance(distribution, dict) and set(distribution) == set(UNIT_PREDICATES)
    for rules in (distribution or {}).values() if ok else []:
        for rule in rules if isinstance(rules, list) else [None]:
            if not (
                isinstance(rule, dict)
                and rule.get("op") in DISTRIBUTION_OPS
                and isinstance(rule.get("predicates"), list)
                and rule["predicates"]
                and set(rule["predicates"]) <= set(EMPLOYEE_PREDICATES)
                and (rule["op"] == "most" or _valid_value(rule["op"], rule.get("value")))
            ):
                ok = False
    if not ok:
        errors["distribution"] = [_("Each unit predicate needs a list of valid distribution rules.")]


def _valid_value(op: str, value) -> bool:
    if op.endswith("_share"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _validate_window(window, errors) -> None:
    if not (
        isinstance(window, dict)
        and _is_days(window.get("days"))
        and window.get("days", 0) >= 1
        and window.get("day_kind") in ("calendar", "working")
        and isinstance(window.get("holidays", []), list)
    ):
        errors["objection_window"] = [_("The objection window needs days (1-365) and a day kind (calendar or working).")]
        return
    for day in window.get("holidays", []):
        try:
            datetime.date.fromisoformat(day)
        except (TypeError, ValueError):
            errors["objection_window"] = [_("Holidays are dates written YYYY-MM-DD.")]
            return


def _validate_evidence(evidence, errors) -> None:
    if not (
        isinstance(evidence, dict)
        and isinstance(evidence.get("max_bytes"), int)
        and 1 <= evidence["max_bytes"] <= 200 * 1024 * 1024
        and isinstance(evidence.get("extensions"), list)
        and evidence["extensions"]
        and isinstance(evidence.get("max_items"), int)
        and evidence["max_items"] >= 1
    ):
        errors["evidence"] = [_("Evidence needs a size limit (bytes), allowed file extensions and a maximum count.")]
    elif not all(isinstance(extension, str) and extension in KIND_OF_EXTENSION for extension in evidence["extensions"]):
        # An upload is accepted only when its content is what its extension names: only the
        # kinds whose content can be recognised may be allowed.
        errors["evidence"] = [_("Allowed file extensions are among: %(known)s.") % {"known": ", ".join(KIND_OF_EXTENSION)}]


def _validate_plan(plan, errors) -> None:
    if not (
        isinstance(plan, dict)
        and set(plan) == set(PLAN_CEILING)
        and all(isinstance(plan[key], int) and not isinstance(plan[key], bool) and 1 <= plan[key] <= ceiling
                for key, ceiling in PLAN_CEILING.items())
    ):
        errors["plan"] = [_("A plan needs limits: max_results (1 to %(results)s) and max_indicators (1 to %(indicators)s).")
                          % {"results": PLAN_CEILING["max_results"], "indicators": PLAN_CEILING["max_indicators"]}]


def predicate_for(rules: dict, results_rating: str, behaviour_rating: str) -> str:
    return rules["predicate_matrix"][results_rating][behaviour_rating]


def add_days(rules: dict, start: datetime.date, days: int, *, day_kind: str | None = None) -> datetime.date:
    """``days`` after ``start``, counted in calendar days or in working days (skipping weekends
    and the rule set's holidays); the objection window's day kind unless ``day_kind`` is given."""
    window = rules["objection_window"]
    if (day_kind or window["day_kind"]) == "calendar":
        return start + datetime.timedelta(days=days)
    holidays = {datetime.date.fromisoformat(d) for d in window.get("holidays", [])}
    day, counted = start, 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    return day


def deadline(rules: dict, start: datetime.date, days: int) -> datetime.date:
    """A task's due day: ``days`` after ``start`` in the rule set's deadline day kind (calendar
    by default; "working" skips weekends and the holidays listed in the objection window)."""
    return add_days(rules, start, days, day_kind=rules.get("deadline_day_kind", "calendar"))


def objection_deadline(rules: dict, issued_on: datetime.date) -> datetime.date:
    """The last day on which an objection may be filed (the day of issue is day 0)."""
    return add_days(rules, issued_on, rules["objection_window"]["days"])


def new_plan_days(rules: dict) -> int:
    return rules.get("new_plan_days", DEFAULT_RULES["new_plan_days"])


def annual_predicate_option(rules: dict) -> str:
    return rules.get("annual_predicate", DEFAULT_RULES["annual_predicate"])
