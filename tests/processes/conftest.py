"""Scoring states shared by the scoring, distribution and objection tests.

Built on the ``org`` and ``cycle`` fixtures and the steps of tests/lifecycle.py.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from processes.models import Assessment, UnitReview

from ..lifecycle import approve_all_plans, set_unit_predicates, start_evaluation


@pytest.fixture
def in_english():
    """Guards' messages read in English (Indonesian is the default language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def evaluation(org, cycle):
    """Every plan approved and the annual evaluation started: reviews open, assessments draft."""
    approve_all_plans(cycle)
    return start_evaluation(cycle, org.hr)


@pytest.fixture
def scoring(evaluation):
    """Every unit's predicate set to "good" by its predicate setter: the raters may score."""
    set_unit_predicates(evaluation, "good")
    return evaluation


def assessment_of(evaluation, employee) -> Assessment:
    return Assessment.objects.get(evaluation=evaluation, employee=employee)


def review_of(evaluation, unit) -> UnitReview:
    return UnitReview.objects.get(evaluation=evaluation, unit=unit)
