"""Checking a unit's predicates against the distribution pattern of its unit predicate."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from .rules import EMPLOYEE_PREDICATES, MOST_READINGS


@dataclass(frozen=True)
class RuleCheck:
    rule: dict
    description: str
    actual: float | int
    passes: bool
    # For a "most" rule, how "most" is read: "majority" (more than half) or "plurality".
    reading: str | None = None


def _names(predicates: list[str]) -> str:
    from .models import Assessment

    labels = dict(Assessment.Predicate.choices)
    return _(" or ").join(str(labels.get(p, p)) for p in predicates)


def check(pattern: list[dict], predicates: list[str], *, most: str = "majority") -> list[RuleCheck]:
    """Each rule of the pattern, with the share or count it found and whether it passes.

    ``most`` is the rule set's reading of "sebagian besar": "majority" (more than half of the
    unit, the default) or "plurality" (more than any other predicate)."""
    if most not in MOST_READINGS:
        raise ValueError(most)
    counts = Counter(predicates)
    total = len(predicates)
    checks = []
    for rule in pattern:
        in_rule = sum(counts[p] for p in rule["predicates"])
        share = in_rule / total if total else 0.0
        op, value, names = rule["op"], rule.get("value"), _names(rule["predicates"])
        reading = None
        if op == "most" and most == "plurality":
            others = [counts[p] for p in EMPLOYEE_PREDICATES if p not in rule["predicates"]]
            passes = total > 0 and in_rule >= max(others, default=0)
            description = _("most are %(names)s (more than any other predicate)") % {"names": names}
            actual, reading = round(share, 4), most
        elif op == "most":
            passes = total > 0 and in_rule * 2 > total
            description = _("most are %(names)s (more than half)") % {"names": names}
            actual, reading = round(share, 4), most
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
        checks.append(RuleCheck(rule=rule, description=description, actual=actual, passes=passes, reading=reading))
    return checks


def as_json(checks: list[RuleCheck]) -> list[dict]:
    return [asdict(c) for c in checks]
