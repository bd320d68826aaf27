"""Reads of scoring shared by the pages and the services."""

from __future__ import annotations

from ..flows.assessment import leader_results_rating
from ..models import Assessment


def fixed_results_rating(assessment: Assessment) -> str:
    """A unit leader's results rating follows the predicate of the unit they lead once it is
    set (the rule set's ``leader_results_rating``); "" for everybody else, and while it is unset."""
    unit_predicate = assessment.unit_predicate
    if not (assessment.is_unit_leader and unit_predicate):
        return ""
    return leader_results_rating(assessment.cycle.rules, unit_predicate)
