"""Checking a unit's predicates against the distribution pattern of its unit predicate."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from .rules import EMPLOYEE_PREDICATES


@dataclass(frozen=True)
class RuleCheck:
    rule: dict
    description: str
    actual: float | int
    passes: bool


def _names(predicates: list[str]) -> str:
    from .models import Assessment

    labels = dict(Assessment.Predicate.choices)
    return _(" or ").join(str(labels.get(p, p)) for p in predicates)


def check(pattern: list[dict], predicates: list[str]) -> list[RuleCheck]:
    """Each rule of the pattern, with the share or count it found and whether it passes."""
    counts = Counter(predicates)
    total = len(predicates)
    checks = []
    for rule in pattern:
        in_rule = sum(counts[p] for p in rule["predicates"])
        share = in_rule / total if total else 0.0
        op, value, names = rule["op"], rule.get("value"), _names(rule["predicates"])
        if op == "most":
            others = [counts[p] for p in EMPLOYEE_PREDICATES if p not in rule["predicates"]]
            passes = total > 0 and in_rule >= max(others, default=0)
            description = _("most are %(names)s") % {"names": names}
            actual = round(share, 4)
        elif op == "at_least_share":
            passes, actual = share >= value - 1e-9, round(share, 4)
            description = _("at least %(pct)s%% are %(names)s") % {"pct": round(value * 100), "names": names}
        elif op == "at_most_share":
            passes, actual = share <= value + 1e-9, round(share, 4)
            description = _("at most %(pct)s%% are %(names)s") % {"pct": round(value * 100), "names": names}
        elif op == "at_least_count":
            passes, actual = in_rule >= value, in_rule
            description = _("at least %(count)s %(names)s") % {"count": value, "names": names}
        else:  # at_most_count
            passes, actual = in_rule <= value, in_rule
            description = _("at most %(count)s %(names)s") % {"count": value, "names": names}
        checks.append(RuleCheck(rule=rule, description=description, actual=actual, passes=passes))
    return checks


def as_json(checks: list[RuleCheck]) -> list[dict]:
    return [asdict(c) for c in checks]
