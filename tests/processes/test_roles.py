"""Each role is defined once with two faces (processes/roles.py): the check for one document and
the filter for lists must name the same documents, for every user, role and document type."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from processes import roles
from processes.models import (
    Assessment,
    Cycle,
    CycleMember,
    FeedbackRequest,
    MonthlyReport,
    Objection,
    Plan,
    UnitReview,
)
from processes.selectors import (
    assessments_visible_to,
    members_visible_to,
    objections_visible_to,
    plans_visible_to,
    reports_visible_to,
    unit_reviews_visible_to,
)
from processes.selectors.visibility import MEMBER_DOCUMENT_READERS, UNIT_REVIEW_READERS
from processes.services.feedback import feedback_invite
from processes.services.objections import objection_file
from web.context import roles as page_roles

from ..api.helpers import agency_forum, open_reports, ratifier_of
from ..conftest import client_for
from ..factories import ActingAssignmentFactory, DelegationFactory, EmployeeFactory, RoleAssignmentFactory, UnitFactory, UserFactory
from ..lifecycle import issue_unit, rate_all, set_unit_predicates, start_evaluation
from .conftest import assessment_of

ALL_ROLES = (*roles.ROLES.values(), *roles.STAND_IN_ROLES)
DOCUMENT_TYPES = (CycleMember, Plan, MonthlyReport, Assessment, Objection, UnitReview, Cycle, FeedbackRequest)


@pytest.fixture
def year_in_progress(org, cycle):
    """A cycle with a document of every type, and people holding every role: the forum of the
    agency, the ratifying official, a Plh of the rater's (kabid's) position, a Plt of the
    secretary's position (kepala's rater), kepala's delegate (other_kabid), another agency's HR
    and a superuser."""
    open_reports(cycle, month=1)
    evaluation = start_evaluation(cycle, org.hr)
    feedback_invite(assessment=assessment_of(evaluation, org.employee), actor=org.kabid.user, invitee_ids=[org.colleague.pk])
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation)
    forum = agency_forum(cycle)
    for review in UnitReview.objects.filter(evaluation=evaluation):
        issue_unit(review, forum)
    objection_file(assessment=assessment_of(evaluation, org.employee), actor=org.employee.user, reasons="Capaian saya melebihi target")
    ratifier_of(cycle)
    plh = EmployeeFactory(name="Plh Kabid", user__username="plh", position__unit=org.other_division)
    ActingAssignmentFactory(employee=plh, position=org.kabid.position)
    plt = EmployeeFactory(name="Plt Sekda", user__username="plt", position__unit=org.other_division)
    ActingAssignmentFactory(employee=plt, position=org.sekda.position, kind="plt")
    DelegationFactory(delegator=org.kepala, delegate=org.other_kabid)
    other_agency = UnitFactory(code="OTHER", name="Dinas Lain", kind="agency", parent=org.government)
    RoleAssignmentFactory(user=UserFactory(username="hr.lain"), unit=other_agency)
    UserFactory(username="admin", is_superuser=True)
    return evaluation


def users():
    return list(get_user_model().objects.order_by("pk"))


def checked(role, user, documents) -> set[int]:
    return {document.pk for document in documents if role.holds(user, document) is not None}


def filtered(role, user, model) -> set[int]:
    return set(role.filter(user, model.objects.all()).values_list("pk", flat=True))


@pytest.mark.parametrize("model", DOCUMENT_TYPES, ids=lambda model: model.__name__)
def test_every_role_check_passes_on_exactly_the_documents_its_filter_lists(year_in_progress, model):
    documents = list(model.objects.all())
    assert documents, f"the fixture builds no {model.__name__}"
    for role in ALL_ROLES:
        if model not in role.models:
            continue
        for user in users():
            assert checked(role, user, documents) == filtered(role, user, model), (role.name, user.username, model.__name__)


def test_every_role_is_held_by_someone_in_the_fixture_so_the_comparison_is_not_empty(year_in_progress):
    everyone = users()
    for role in ALL_ROLES:
        assert any(filtered(role, user, model) for model in role.models for user in everyone), role.name


@pytest.mark.parametrize("model, visible_to, readers", [
    (CycleMember, members_visible_to, MEMBER_DOCUMENT_READERS),
    (Plan, plans_visible_to, MEMBER_DOCUMENT_READERS),
    (MonthlyReport, reports_visible_to, MEMBER_DOCUMENT_READERS),
    (Assessment, assessments_visible_to, MEMBER_DOCUMENT_READERS),
    (Objection, objections_visible_to, MEMBER_DOCUMENT_READERS),
    (UnitReview, unit_reviews_visible_to, UNIT_REVIEW_READERS),
], ids=lambda value: getattr(value, "__name__", ""))
def test_a_user_sees_a_document_exactly_when_one_of_their_roles_is_held_on_it(year_in_progress, model, visible_to, readers):
    documents = list(model.objects.all())
    for user in users():
        if user.is_superuser:
            continue
        expected = {d.pk for d in documents if any(role.holds(user, d) is not None for role in readers)}
        assert set(visible_to(user).values_list("pk", flat=True)) == expected, user.username


def test_a_forum_member_of_the_agency_sees_and_may_act_on_the_divisions_below_it(org, year_in_progress):
    forum = get_user_model().objects.get(username="tim.penilai")
    review = UnitReview.objects.get(unit=org.division)
    assert roles.authorize(forum, roles.FORUM, review) is not None
    assert unit_reviews_visible_to(forum).filter(pk=review.pk).exists()
    assert assessments_visible_to(forum).filter(unit=org.division).exists()


def test_the_delegate_acts_on_behalf_of_the_predicate_setter_and_sees_the_review(org, year_in_progress):
    review = UnitReview.objects.get(unit=org.division)
    assert review.predicate_setter_id == org.kepala.pk
    authorization = roles.authorize(org.other_kabid.user, roles.PREDICATE_SETTER, review)
    assert authorization is not None and authorization.on_behalf_of == org.kepala.user_id
    assert unit_reviews_visible_to(org.other_kabid.user).filter(pk=review.pk).exists()


def test_nobody_judges_their_own_plan_even_as_the_raters_delegate(org, year_in_progress):
    own_plan = Plan.objects.get(employee=org.other_kabid)  # rated by kepala, who delegated to other_kabid
    assert roles.RATER_ROLE.holds(org.other_kabid.user, own_plan) is not None  # the role alone...
    assert own_plan.flow_class(own_plan).authorize(org.other_kabid.user, roles.RATER) is None  # ...the flow refuses


@pytest.mark.parametrize("username, expected", [
    ("plh", {"employee", "rater"}),
    ("other_kabid", {"employee", "rater", "predicate_setter"}),
    ("tim.penilai", {"forum"}),
    ("pejabat.penetap", {"ratifying_official"}),
    ("hr", {"hr"}),
])
def test_the_menus_and_me_name_the_same_roles(year_in_progress, username, expected):
    user = get_user_model().objects.get(username=username)
    acts_as = set(client_for(user).get("/api/v1/me/").json()["acts_as"])
    assert acts_as == expected
    request = RequestFactory().get("/")
    request.user = user
    nav = page_roles(request)["nav"]
    assert nav == {
        "employee": "employee" in acts_as, "rater": "rater" in acts_as,
        "forum": bool({"forum", "predicate_setter"} & acts_as), "ratifying": "ratifying_official" in acts_as,
        "hr": "hr" in acts_as,
    }
