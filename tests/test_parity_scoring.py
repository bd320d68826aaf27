"""The API and the pages give the same answer to the same command: each row runs one command
through both interfaces, on the same documents (each run rolled back), and asserts the same
outcome: allowed with the same state and audit action, or refused with the same reason."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Callable

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils.html import escape

from notifications.models import WebhookEndpoint
from processes.models import Assessment, Cycle, FeedbackRequest, Objection, UnitReview
from processes.services.feedback import feedback_invite
from processes.services.objections import objection_explain, objection_file

from .api.helpers import (
    API,
    berakhlak,
    english,
    finalise,
    issued_evaluation,
    ratifier_of,
)
from .lifecycle import approve_all_plans, rate_all, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db


# The documents each row needs, built through the services --------------------------------------


def _evaluation(org, cycle):
    approve_all_plans(cycle)
    return start_evaluation(cycle, org.hr)


def draft(org, cycle) -> dict:
    """org.employee's assessment in draft (unit predicates set), rated by kabid."""
    evaluation = _evaluation(org, cycle)
    set_unit_predicates(evaluation, "good")
    return {"assessment": Assessment.objects.get(evaluation=evaluation, employee=org.employee)}


def rated(org, cycle) -> dict:
    found = draft(org, cycle)
    english(org.kabid.user).patch(f"{API}/assessments/{found['assessment'].pk}/",
                                  {"results_rating": "above", "behaviour_rating": "as_expected"}, format="json")
    return found


def awaiting_predicate(org, cycle) -> dict:
    return {"review": UnitReview.objects.get(evaluation=_evaluation(org, cycle), unit=org.division)}


def scored(org, cycle) -> dict:
    """Every assessment submitted "good": the division's results depart from the pattern."""
    evaluation = _evaluation(org, cycle)
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation)
    return {"review": UnitReview.objects.get(evaluation=evaluation, unit=org.division),
            "assessment": Assessment.objects.get(evaluation=evaluation, employee=org.employee)}


def issued(org, cycle) -> dict:
    evaluation = issued_evaluation(org, cycle)
    return {"assessment": Assessment.objects.get(evaluation=evaluation, employee=org.employee)}


def final(org, cycle) -> dict:
    evaluation = issued_evaluation(org, cycle)
    finalise(evaluation)
    return {"review": UnitReview.objects.get(evaluation=evaluation, unit=org.division), "official": ratifier_of(cycle)}


def objected(org, cycle) -> dict:
    assessment = issued(org, cycle)["assessment"]
    return {"objection": objection_file(assessment=assessment, actor=org.employee.user, reasons="Capaian melebihi target")}


def explained(org, cycle) -> dict:
    objection = objected(org, cycle)["objection"]
    objection_explain(objection=objection, actor=org.kabid.user, explanation="Sesuai penilaian")
    objection_explain(objection=objection, actor=org.employee.user, explanation="Bukti terlampir")
    return {"objection": objection}


def invited(org, cycle) -> dict:
    assessment = draft(org, cycle)["assessment"]
    (request,) = feedback_invite(assessment=assessment, actor=org.kabid.user, invitee_ids=[org.colleague.pk])
    return {"request": request}


def nothing(org, cycle) -> dict:
    return {}


# The rows ---------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    setup: Callable[[object, object], dict]
    user: Callable[[object, dict], object]  # (org, found) -> the acting user
    api: Callable[[object, dict], tuple[str, str, dict]]  # -> (method, url, body)
    page: Callable[[object, dict], tuple[str, dict]]  # -> (url, form data)
    observe: Callable[[dict], object]  # what an allowed command changed
    allowed: bool
    at: Callable[[dict], datetime.datetime] | None = None  # when both run (default: now)
    expect_reason: str = ""  # a refusal's reason, checked in both answers
    extra: dict = field(default_factory=dict)


def last_action(document) -> tuple[str, str]:
    from workflow.models import AuditEvent

    document.refresh_from_db()
    event = AuditEvent.objects.filter(document_type=document.document_type, document_id=document.pk).order_by("-seq").first()
    return document.status, event.action


def kabid(org, found):
    return org.kabid.user


RATINGS = {"results_rating": "above", "behaviour_rating": "as_expected", "note": "Baik"}

CASES = [
    Case("rate", draft, kabid,
         lambda org, f: ("patch", f"{API}/assessments/{f['assessment'].pk}/", RATINGS),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "save", **RATINGS}),
         lambda f: (*last_action(f["assessment"]), f["assessment"].rated_predicate), allowed=True),
    Case("rate with an unknown rating", draft, kabid,
         lambda org, f: ("patch", f"{API}/assessments/{f['assessment'].pk}/", {**RATINGS, "results_rating": "splendid"}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "save", **RATINGS, "results_rating": "splendid"}),
         None, allowed=False, expect_reason="Choose above, as_expected or below."),
    Case("rate with a note too long", draft, kabid,
         lambda org, f: ("patch", f"{API}/assessments/{f['assessment'].pk}/", {**RATINGS, "note": "x" * 5001}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "save", **RATINGS, "note": "x" * 5001}),
         None, allowed=False, expect_reason="Write at most 5000 characters (5001 given)."),
    Case("submit an assessment", rated, kabid,
         lambda org, f: ("post", f"{API}/assessments/{f['assessment'].pk}/submit/", {}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "submit"}),
         lambda f: last_action(f["assessment"]), allowed=True),
    Case("set the unit predicate", awaiting_predicate, lambda org, f: org.kepala.user,
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/set_unit_predicate/", {"unit_predicate": "good"}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "set_unit_predicate", "unit_predicate": "good"}),
         lambda f: (*last_action(f["review"]), f["review"].unit_predicate), allowed=True),
    Case("set an unknown unit predicate", awaiting_predicate, lambda org, f: org.kepala.user,
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/set_unit_predicate/", {"unit_predicate": "splendid"}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "set_unit_predicate", "unit_predicate": "splendid"}),
         None, allowed=False, expect_reason="Choose outstanding, good, needs_improvement, poor or very_poor."),
    Case("set the unit predicate as a forum member", awaiting_predicate, lambda org, f: org.forum_member,
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/set_unit_predicate/", {"unit_predicate": "splendid"}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "set_unit_predicate", "unit_predicate": "splendid"}),
         None, allowed=False, expect_reason="You may not “Set the unit predicate” this document."),
    # The page's form posts both ratings (the behaviour one as it stands); the API takes the one changed.
    Case("adjust", scored, lambda org, f: org.forum_member,
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/adjust/",
                         {"assessment": f["assessment"].pk, "results_rating": "below", "reason": "Kalibrasi"}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "adjust", "assessment": f["assessment"].pk,
                                                          "results_rating": "below", "behaviour_rating": "as_expected",
                                                          "reason": "Kalibrasi"}),
         lambda f: (last_action(f["review"]), last_action(f["assessment"]), f["assessment"].results_rating,
                    f["assessment"].predicate, f["assessment"].previous_predicate), allowed=True),
    Case("adjust without a reason", scored, lambda org, f: org.forum_member,
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/adjust/",
                         {"assessment": f["assessment"].pk, "results_rating": "below", "reason": "  "}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "adjust", "assessment": f["assessment"].pk,
                                                          "results_rating": "below", "behaviour_rating": "as_expected",
                                                          "reason": "  "}),
         None, allowed=False, expect_reason="Give the reason for the change."),
    Case("adjust changing no rating", scored, lambda org, f: org.forum_member,
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/adjust/",
                         {"assessment": f["assessment"].pk, "results_rating": "as_expected", "reason": "Kalibrasi"}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "adjust", "assessment": f["assessment"].pk,
                                                          "results_rating": "as_expected", "behaviour_rating": "as_expected",
                                                          "reason": "Kalibrasi"}),
         None, allowed=False, expect_reason="Give a results or behaviour rating other than the current one."),
    Case("approve a departure with a justification", scored, lambda org, f: org.forum_member,
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/approve/", {"justification": "Sesuai rapat"}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "approve", "justification": "Sesuai rapat"}),
         lambda f: (*last_action(f["review"]), f["review"].justification), allowed=True),
    Case("approve a departure without a justification", scored, lambda org, f: org.forum_member,
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/approve/", {"justification": ""}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "approve", "justification": ""}),
         None, allowed=False, expect_reason="depart from the distribution pattern"),
    Case("ratify", final, lambda org, f: f["official"],
         lambda org, f: ("post", f"{API}/unit-reviews/{f['review'].pk}/ratify/", {"comment": "Ditetapkan"}),
         lambda org, f: (f"/reviews/{f['review'].pk}/", {"action": "ratify", "comment": "Ditetapkan"}),
         lambda f: last_action(f["review"]), allowed=True),
    Case("file an objection in the window", issued, lambda org, f: org.employee.user,
         lambda org, f: ("post", f"{API}/objections/", {"assessment": f["assessment"].pk, "reasons": "Capaian melebihi target"}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "object", "reasons": "Capaian melebihi target"}),
         lambda f: (last_action(f["assessment"]), last_action(Objection.objects.get(assessment=f["assessment"]))), allowed=True),
    Case("file an objection after the window", issued, lambda org, f: org.employee.user,
         lambda org, f: ("post", f"{API}/objections/", {"assessment": f["assessment"].pk, "reasons": "Terlambat"}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "object", "reasons": "Terlambat"}),
         None, allowed=False,
         at=lambda f: datetime.datetime.combine(f["assessment"].objection_deadline + datetime.timedelta(days=2),
                                                datetime.time(10), tzinfo=datetime.timezone(datetime.timedelta(hours=7)))),
    Case("file an objection without reasons", issued, lambda org, f: org.employee.user,
         lambda org, f: ("post", f"{API}/objections/", {"assessment": f["assessment"].pk, "reasons": " "}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "object", "reasons": " "}),
         None, allowed=False, expect_reason="Give the reasons for the objection."),
    Case("explain", objected, kabid,
         lambda org, f: ("post", f"{API}/objections/{f['objection'].pk}/explanations/", {"explanation": "Sesuai penilaian"}),
         lambda org, f: (f"/objections/{f['objection'].pk}/", {"op": "explain", "explanation": "Sesuai penilaian"}),
         lambda f: (*last_action(f["objection"]), f["objection"].rater_explanation), allowed=True),
    Case("explain with nothing written", objected, kabid,
         lambda org, f: ("post", f"{API}/objections/{f['objection'].pk}/explanations/", {"explanation": ""}),
         lambda org, f: (f"/objections/{f['objection'].pk}/", {"op": "explain", "explanation": ""}),
         None, allowed=False, expect_reason="Write your explanation."),
    Case("decide", explained, lambda org, f: org.kepala.user,
         lambda org, f: ("post", f"{API}/objections/{f['objection'].pk}/decide/",
                         {"outcome": "changed", "results_rating": "above", "reasons": "Bukti kuat"}),
         lambda org, f: (f"/objections/{f['objection'].pk}/", {"op": "decide", "outcome": "changed", "results_rating": "above",
                                                                "reasons": "Bukti kuat"}),
         lambda f: (last_action(f["objection"]), f["objection"].outcome, last_action(f["objection"].assessment)), allowed=True),
    Case("decide a change without a new rating", explained, lambda org, f: org.kepala.user,
         lambda org, f: ("post", f"{API}/objections/{f['objection'].pk}/decide/", {"outcome": "changed", "reasons": "Ditinjau"}),
         lambda org, f: (f"/objections/{f['objection'].pk}/", {"op": "decide", "outcome": "changed", "reasons": "Ditinjau"}),
         None, allowed=False, expect_reason="A changed result needs a new results or behaviour rating."),
    Case("decide with an unknown outcome", explained, lambda org, f: org.kepala.user,
         lambda org, f: ("post", f"{API}/objections/{f['objection'].pk}/decide/", {"outcome": "maybe", "reasons": "Ditinjau"}),
         lambda org, f: (f"/objections/{f['objection'].pk}/", {"op": "decide", "outcome": "maybe", "reasons": "Ditinjau"}),
         None, allowed=False, expect_reason="Choose upheld or changed."),
    Case("invite a colleague to give feedback", draft, kabid,
         lambda org, f: ("post", f"{API}/assessments/{f['assessment'].pk}/feedback-requests/", {"invitees": [org.colleague.pk]}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "invite", "invitees": [org.colleague.pk]}),
         lambda f: [(r.invitee.name, *last_action(r)) for r in FeedbackRequest.objects.filter(assessment=f["assessment"])],
         allowed=True),
    Case("invite someone of another division to give feedback", draft, kabid,
         lambda org, f: ("post", f"{API}/assessments/{f['assessment'].pk}/feedback-requests/",
                         {"invitees": [org.other_employee.pk]}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "invite", "invitees": [org.other_employee.pk]}),
         None, allowed=False,
         expect_reason="Only colleagues of the employee&#x27;s unit and their subordinates may be invited, not Staf B1."),
    Case("invite nobody", draft, kabid,
         lambda org, f: ("post", f"{API}/assessments/{f['assessment'].pk}/feedback-requests/", {"invitees": []}),
         lambda org, f: (f"/assessments/{f['assessment'].pk}/", {"op": "invite"}),
         None, allowed=False, expect_reason="Choose at least one colleague."),
    Case("answer feedback", invited, lambda org, f: org.colleague.user,
         lambda org, f: ("post", f"{API}/feedback-requests/{f['request'].pk}/answer/",
                         {"ratings": berakhlak("above"), "comment": "Suka membantu"}),
         lambda org, f: (f"/feedback/{f['request'].pk}/", {**{f"rating-{v}": "above" for v in berakhlak()}, "comment": "Suka membantu"}),
         lambda f: (*last_action(f["request"]), f["request"].ratings, f["request"].comment), allowed=True),
    Case("answer feedback leaving a value out", invited, lambda org, f: org.colleague.user,
         lambda org, f: ("post", f"{API}/feedback-requests/{f['request'].pk}/answer/",
                         {"ratings": {k: v for k, v in berakhlak("above").items() if k != "loyalty"}}),
         lambda org, f: (f"/feedback/{f['request'].pk}/", {f"rating-{v}": "above" for v in berakhlak() if v != "loyalty"}),
         None, allowed=False, expect_reason="Rate each of the seven BerAKHLAK values"),
    Case("create a cycle with a bad year", nothing, lambda org, f: org.hr,
         lambda org, f: ("post", f"{API}/cycles/", {"name": "Kinerja 1999", "year": 1999, "units": [org.agency.pk],
                                                     "plan_deadline": "1999-01-31"}),
         lambda org, f: ("/hr/cycles/", {"name": "Kinerja 1999", "year": 1999, "units": [org.agency.pk],
                                         "plan_deadline": "1999-01-31", "period_type": "annual"}),
         None, allowed=False, expect_reason="Choose a year from 2000 to 2100."),
    Case("create a cycle whose plan deadline is years away", nothing, lambda org, f: org.hr,
         lambda org, f: ("post", f"{API}/cycles/", {"name": "Kinerja 2030", "year": 2030, "units": [org.agency.pk],
                                                     "plan_deadline": "2026-01-31"}),
         lambda org, f: ("/hr/cycles/", {"name": "Kinerja 2030", "year": 2030, "units": [org.agency.pk],
                                         "plan_deadline": "2026-01-31", "period_type": "annual"}),
         None, allowed=False, expect_reason="The plan deadline must fall in the cycle&#x27;s year."),
    Case("create a cycle", nothing, lambda org, f: org.hr,
         lambda org, f: ("post", f"{API}/cycles/", {"name": "Kinerja 2030", "year": 2030, "units": [org.agency.pk],
                                                     "plan_deadline": "2030-01-31", "period_type": "quarterly"}),
         lambda org, f: ("/hr/cycles/", {"name": "Kinerja 2030", "year": 2030, "units": [org.agency.pk],
                                         "plan_deadline": "2030-01-31", "period_type": "quarterly"}),
         lambda f: [(c.name, c.year, c.period_type, *last_action(c)) for c in Cycle.objects.filter(year=2030)], allowed=True),
    Case("create a webhook with an unknown event", nothing, lambda org, f: org.hr,
         lambda org, f: ("post", f"{API}/webhooks/", {"url": "https://simpeg.test/hook", "events": ["plan.exploded"]}),
         lambda org, f: ("/hr/webhooks/", {"action": "register", "url": "https://simpeg.test/hook", "events": ["plan.exploded"]}),
         None, allowed=False, expect_reason="Unknown events: plan.exploded."),
    Case("create a webhook with an ftp URL", nothing, lambda org, f: org.hr,
         lambda org, f: ("post", f"{API}/webhooks/", {"url": "ftp://simpeg.test/hook", "events": []}),
         lambda org, f: ("/hr/webhooks/", {"action": "register", "url": "ftp://simpeg.test/hook"}),
         None, allowed=False, expect_reason="An http(s) URL."),
    Case("create a webhook", nothing, lambda org, f: org.hr,
         lambda org, f: ("post", f"{API}/webhooks/", {"url": "https://simpeg.test/hook", "events": ["plan.approved"]}),
         lambda org, f: ("/hr/webhooks/", {"action": "register", "url": "https://simpeg.test/hook", "events": ["plan.approved"]}),
         lambda f: list(WebhookEndpoint.objects.values_list("url", "events", "is_active")), allowed=True),
]


# Running a row through both interfaces ----------------------------------------------------------


class _Undo(Exception):
    pass


def rolled_back(run: Callable[[], object]):
    """``run()``'s result, with everything it wrote undone (so the other interface starts from
    the same documents)."""
    kept = {}
    try:
        with transaction.atomic():
            kept["result"] = run()
            raise _Undo
    except _Undo:
        pass
    return kept["result"]


def through_api(case: Case, org, found):
    method, url, body = case.api(org, found)
    response = getattr(english(case.user(org, found)), method)(url, body, format="json")
    if response.status_code < 300:
        return "allowed", case.observe(found), ""
    answer = response.json()
    reasons = [m for messages in answer["errors"].values() for m in messages] if "errors" in answer else [answer["detail"]]
    return "refused", response.status_code, reasons


def through_page(case: Case, org, found):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(case.user(org, found))
    url, data = case.page(org, found)
    response = client.post(url, data, follow=True)  # a refusal without field errors is told after a redirect
    errors = [m for m in response.context["messages"] if m.level_tag == "error"] if response.context else []
    if response.status_code == 200 and not errors:
        return "allowed", case.observe(found), ""
    return "refused", response.redirect_chain[0][1] if response.redirect_chain else response.status_code, response.content.decode()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_api_and_the_page_give_the_same_outcome(case, org, cycle):
    found = case.setup(org, cycle)
    when = case.at(found) if case.at else None
    with time_machine.travel(when, tick=False) if when else _nowhere():
        api = rolled_back(lambda: through_api(case, org, found))
        page = rolled_back(lambda: through_page(case, org, found))
    if case.allowed:
        assert api[0] == "allowed", api
        assert page == api
        return
    assert (api[0], page[0]) == ("refused", "refused"), (api, page[:2])
    # The status of a refusal: the same, or the assessment page's redirect to itself with the reason.
    assert api[1] == page[1] or page[1] == 302, (api[1], page[1])
    for reason in api[2]:
        assert escape(reason) in page[2] or reason in page[2], f"the page does not say {reason!r}"
    assert any(case.expect_reason in escape(reason) or case.expect_reason in reason for reason in api[2]), api[2]


class _nowhere:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False
