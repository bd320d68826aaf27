"""Results stay private until issued: what the API returns each role equals what the pages show
it, state by state, and before the calibration forum issues the result its employee sees no
rating, value, predicate, change or note of it anywhere (detail, list, board, history, inbox).

The rule lives in processes/selectors/privacy.py; the API (api/scoring.py, api/document_actions.py,
api/inbox.py) and the pages (web/views/work_scoring.py, web/views/review.py, web/document_history.py)
both read through it.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client
from django.utils import translation

from notifications.services import notify_bulk
from org.delegations import delegation_create
from processes.models import Assessment, UnitReview
from processes.services.scoring import assessment_rate, unit_review_adjust, unit_review_ratify
from workflow.engine import perform
from workflow.flows import Notice

from .api.helpers import API, english, ratifier_of
from .lifecycle import approve_all_plans, issue_unit, rate_and_submit, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db

NOTE = "Catatan pribadi penilai 7f3a"
SUBMIT_COMMENT = "Komentar penilai saat mengajukan 7f3a"
ADJUST_REASON = "Alasan forum kalibrasi 7f3a"
KEPALA_NOTE = "Catatan sekda tentang kepala 9c1d"
SECRETS = (NOTE, SUBMIT_COMMENT, ADJUST_REASON)
RESULT_FIELDS = ("results_rating", "behaviour_rating", "behaviour_values", "note", "predicate", "rated_predicate",
                 "predicate_display", "changed_by", "changed_by_display", "previous_predicate")
STATES = ["draft", "submitted", "adjusted", "issued", "final", "ratified"]
BEFORE_ISSUE = {"draft", "submitted", "adjusted"}


def year_until(org, cycle, state: str) -> Assessment:
    """The employee's annual assessment taken to ``state``: kabid rates it (with a note and a
    comment), the forum adjusts it with a reason, issues the division, the employee accepts, the
    ratifying official ratifies. Kepala's own assessment (in the agency's review, which kepala
    reads as the rater of the division heads) is rated by sekda and left in draft."""
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation, "good")
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    assessment_rate(assessment=assessment, actor=org.kabid.user, ratings={
        "results_rating": "above", "behaviour_rating": "below", "behaviour_values": {"accountability": "above"}, "note": NOTE})
    kepalas = Assessment.objects.get(evaluation=evaluation, employee=org.kepala)
    assessment_rate(assessment=kepalas, actor=org.sekda.user, ratings={
        "results_rating": "above", "behaviour_rating": "above", "note": KEPALA_NOTE})
    steps = [
        lambda: perform(assessment, "submit", actor=org.kabid.user, comment=SUBMIT_COMMENT),
        lambda: unit_review_adjust(review=assessment.unit_review, actor=org.forum_member, assessment_id=assessment.pk,
                                   reason=ADJUST_REASON, behaviour_rating="as_expected"),
        lambda: (rate_and_submit(Assessment.objects.get(evaluation=evaluation, employee=org.colleague)),
                 issue_unit(assessment.unit_review, org.forum_member)),
        lambda: perform(assessment, "accept", actor=org.employee.user),
        lambda: (perform(Assessment.objects.get(evaluation=evaluation, employee=org.colleague), "accept", actor=org.colleague.user),
                 unit_review_ratify(review=assessment.unit_review, actor=ratifier_of(cycle))),
    ]
    for step in steps[:STATES.index(state)]:
        step()
    assessment.refresh_from_db()
    assert assessment.status == state.replace("adjusted", "submitted")
    return assessment


@pytest.fixture
def delegate(org):
    """The employee, on leave, has delegated their tasks to a colleague of another division."""
    import datetime

    from django.utils import timezone

    delegation_create(actor=org.employee.user, delegate=org.other_employee, start=timezone.localdate(),
                      end=timezone.localdate() + datetime.timedelta(days=7), reason="Cuti")
    return org.other_employee.user


def roles_of(org, delegate) -> dict:
    return {"employee": org.employee.user, "employee's delegate": delegate, "rater": org.kabid.user,
            "forum": org.forum_member, "hr": org.hr}


# What the assessment page shows --------------------------------------------------------------------


def page_of(user, url: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def labels(choices) -> dict[str, str]:
    with translation.override("en"):
        return {str(label): value for value, label in choices}


RATINGS = labels(Assessment.Rating.choices)
PREDICATES = labels(Assessment.Predicate.choices)
CHANGERS = labels(Assessment.ChangedBy.choices)


def section(page: str, pattern: str) -> str | None:
    found = re.search(pattern, page, re.S)
    return found.group(0) if found else None


def shown_on_the_assessment_page(page: str) -> dict:
    """The result as the page shows it, as the API names it ("" / {} where the page shows none)."""
    shown = {"results_rating": "", "behaviour_rating": "", "behaviour_values": {}, "note": "", "predicate": "",
             "changed_by": "", "previous_predicate": ""}
    form = section(page, r'<form method="post" class="card" id="scoring-form">.*?</form>')
    result = section(page, r'<section class="card" id="result">.*?</section>')
    if form:  # the rater scoring: the form's chosen values
        def chosen(name):
            select = section(form, rf'<select id="{name}" name="{name}">.*?</select>') or ""
            value = re.search(r'<option value="(\w+)" selected>', select)
            return value.group(1) if value else ""

        shown["results_rating"], shown["behaviour_rating"] = chosen("results_rating"), chosen("behaviour_rating")
        shown["behaviour_values"] = {code: chosen(f"value-{code}") for code in re.findall(r'<select id="value-(\w+)"', form)
                                     if chosen(f"value-{code}")}
        shown["note"] = html.unescape(re.search(r'<textarea id="note"[^>]*>(.*?)</textarea>', form, re.S).group(1))
        saved = re.search(r'id="saved-predicate">[^:]*: (.*?)</p>', form).group(1)
        shown["predicate"] = PREDICATES.get(html.unescape(saved), "")
    elif result:
        facts = dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", result, re.S))
        shown["results_rating"] = RATINGS.get(facts.pop("Results rating", ""), "")
        shown["behaviour_rating"] = RATINGS.get(facts.pop("Behaviour rating", ""), "")
        shown["note"] = html.unescape(facts.pop("Note", "")).replace("<br>", "\n")
        from processes.labels import core_values

        with translation.override("en"):
            value_codes = {str(label): code for code, label in core_values()}
        shown["behaviour_values"] = {value_codes[k]: RATINGS[v] for k, v in facts.items() if k in value_codes}
        predicate = re.search(r'<strong class="predicate (\w*)">', result)
        shown["predicate"] = predicate.group(1) if predicate else ""
        changed = re.search(r"changed by (.*?)</span>\s*<span class=\"muted\">from (.*?)</span>", result, re.S)
        if changed:
            shown["changed_by"], shown["previous_predicate"] = CHANGERS[changed.group(1)], PREDICATES[changed.group(2).strip()]
    return shown


def returned_by_the_api(user, assessment) -> dict:
    response = english(user).get(f"{API}/assessments/{assessment.pk}/")
    assert response.status_code == 200
    data = response.json()
    return {name: data[name] for name in ("results_rating", "behaviour_rating", "behaviour_values", "note", "predicate",
                                          "changed_by", "previous_predicate")}


@pytest.mark.parametrize("state", STATES)
def test_the_api_returns_each_role_the_result_the_assessment_page_shows_it(org, cycle, delegate, state):
    assessment = year_until(org, cycle, state)
    for role, user in roles_of(org, delegate).items():
        api = returned_by_the_api(user, assessment)
        page = shown_on_the_assessment_page(page_of(user, f"/assessments/{assessment.pk}/"))
        assert api == page, (state, role)
        hidden = role.startswith("employee") and state in BEFORE_ISSUE
        assert (api["predicate"] == "") is hidden, (state, role)  # rated in every state: shown unless withheld


@pytest.mark.parametrize("state", sorted(BEFORE_ISSUE))
def test_before_the_issue_the_employee_finds_no_trace_of_the_result_in_any_endpoint(org, cycle, delegate, state):
    """The employee (and their delegate) read every endpoint that could name the assessment: no
    rating, value, predicate, change, note, rater's comment or forum's reason anywhere."""
    assessment = year_until(org, cycle, state)
    for user in (org.employee.user, delegate):
        client = english(user)
        urls = [f"{API}/assessments/", f"{API}/assessments/{assessment.pk}/", f"{API}/assessments/{assessment.pk}/history/",
                f"{API}/assessments/{assessment.pk}/feedback/", f"{API}/unit-reviews/", f"{API}/objections/", f"{API}/tasks/",
                f"{API}/notifications/?page_size=200", f"{API}/feedback-requests/", f"{API}/me/", f"{API}/plans/",
                f"{API}/reports/"]
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 403), url
            body = response.content.decode()
            assert not any(secret in body for secret in SECRETS), url
            for found in objects_with_id(response.json() if response.status_code == 200 else {}, assessment.pk):
                assert all(not found.get(name) for name in RESULT_FIELDS if name in found), (url, found)
        assert client.get(f"{API}/assessments/{assessment.pk}/document/").status_code == 404
        page = page_of(user, f"/assessments/{assessment.pk}/")
        assert not any(secret in page for secret in SECRETS)


def objects_with_id(data, pk: int):
    """Every JSON object in ``data`` that is the assessment (by id), however deep."""
    if isinstance(data, dict):
        if data.get("id") == pk and "status" in data:
            yield data
        for value in data.values():
            yield from objects_with_id(value, pk)
    elif isinstance(data, list):
        for value in data:
            yield from objects_with_id(value, pk)


def test_from_the_issue_on_the_employee_sees_the_whole_result_as_the_page_shows_it(org, cycle):
    assessment = year_until(org, cycle, "issued")
    api = returned_by_the_api(org.employee.user, assessment)
    assert api["note"] == NOTE and api["behaviour_values"] == {"accountability": "above"}
    assert api["changed_by"] == "forum" and api["predicate"]


# The list and the history ------------------------------------------------------------------------------


def test_the_list_withholds_the_employees_result_but_not_the_raters(org, cycle):
    assessment = year_until(org, cycle, "submitted")
    (mine,) = [a for a in english(org.employee.user).get(f"{API}/assessments/").json()["results"] if a["id"] == assessment.pk]
    assert [mine[name] for name in ("results_rating", "predicate", "note", "behaviour_values")] == ["", "", "", {}]
    (rated,) = [a for a in english(org.kabid.user).get(f"{API}/assessments/").json()["results"] if a["id"] == assessment.pk]
    assert (rated["results_rating"], rated["note"]) == ("above", NOTE)


def history(user, assessment) -> list[dict]:
    response = english(user).get(f"{API}/assessments/{assessment.pk}/history/")
    assert response.status_code == 200
    return response.json()


def test_before_the_issue_the_employees_history_keeps_its_steps_without_their_data_or_comments(org, cycle):
    assessment = year_until(org, cycle, "adjusted")
    events = history(org.employee.user, assessment)
    assert [e["action"] for e in events] == ["create", "rate", "submit", "adjust"]
    assert all(e["data"] == {} and e["comment"] == "" and e["redacted"] for e in events)
    raters = history(org.kabid.user, assessment)
    assert raters[1]["data"]["changes"]["results_rating"] == ["", "above"] and raters[2]["comment"] == SUBMIT_COMMENT
    assert not any(e["redacted"] for e in raters)
    page = page_of(org.employee.user, f"/assessments/{assessment.pk}/")
    assert SUBMIT_COMMENT not in page and ADJUST_REASON not in page
    assert ADJUST_REASON in page_of(org.kabid.user, f"/assessments/{assessment.pk}/")


def test_once_issued_the_history_is_the_employees_too(org, cycle):
    assessment = year_until(org, cycle, "issued")
    events = history(org.employee.user, assessment)
    assert not any(e["redacted"] for e in events)
    assert ADJUST_REASON in [e["comment"] for e in events]


# The board -------------------------------------------------------------------------------------------------


def board_rows_on_the_page(page: str) -> dict[int, dict]:
    rows = {}
    for pk, row in re.findall(r'<tr id="assessment-(\d+)">(.*?)</tr>', page, re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        predicate = re.search(r"<strong>(.*?)</strong>", cells[4], re.S).group(1)
        changed = re.search(r"changed by (.*?)</span>", cells[4])
        rows[int(pk)] = {"results_rating": RATINGS.get(cells[2].strip(), ""), "behaviour_rating": RATINGS.get(cells[3].strip(), ""),
                         "predicate": PREDICATES.get(predicate.strip(), ""), "changed_by": CHANGERS[changed.group(1)] if changed else ""}
    return rows


def board_rows_in_the_api(user, review) -> dict[int, dict]:
    response = english(user).get(f"{API}/unit-reviews/{review.pk}/")
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["assessments"]}


@pytest.mark.parametrize("state", ["submitted", "adjusted", "issued"])
def test_each_reader_of_a_board_gets_from_the_api_the_rows_the_page_shows(org, cycle, state):
    assessment = year_until(org, cycle, state)
    agency = UnitReview.objects.get(evaluation=assessment.evaluation, unit=org.agency)
    readers = [(org.forum_member, assessment.unit_review), (org.hr, assessment.unit_review), (org.kabid.user, assessment.unit_review),
               (org.kepala.user, assessment.unit_review), (org.kepala.user, agency), (org.hr, agency)]
    for user, review in readers:
        api = board_rows_in_the_api(user, review)
        page = board_rows_on_the_page(page_of(user, f"/reviews/{review.pk}/"))
        assert set(api) == set(page), (user, review)
        for pk, row in page.items():
            assert {name: api[pk][name] for name in row} == row, (state, user.username, review.unit.code, pk)


def test_a_leader_reading_the_review_of_their_own_assessment_sees_none_of_its_result(org, cycle):
    """Kepala rates the division heads, so reads the agency's review, which holds kepala's own
    assessment (at the top of the cycle's scope, outside the pattern): sekda's ratings and note
    of kepala stay hidden from kepala, on the board, the page and the review's history."""
    assessment = year_until(org, cycle, "submitted")
    agency = UnitReview.objects.get(evaluation=assessment.evaluation, unit=org.agency)
    kepalas = Assessment.objects.get(evaluation=assessment.evaluation, employee=org.kepala)
    row = board_rows_in_the_api(org.kepala.user, agency)[kepalas.pk]
    assert all(not row[name] for name in RESULT_FIELDS), row
    page = page_of(org.kepala.user, f"/reviews/{agency.pk}/")
    assert board_rows_on_the_page(page)[kepalas.pk] == {"results_rating": "", "behaviour_rating": "", "predicate": "", "changed_by": ""}
    assert KEPALA_NOTE not in json.dumps(english(org.kepala.user).get(f"{API}/unit-reviews/{agency.pk}/").json())
    # sekda, kepala's rater, sees it all
    assert board_rows_in_the_api(org.sekda.user, agency)[kepalas.pk]["note"] == KEPALA_NOTE


def test_the_raters_superior_reading_the_review_sees_the_rated_result_whole(org, cycle):
    """Kepala reads the division's review as the leader who set its predicate and judges its staff
    as their rater's superior (objections go to kepala): ratings, values and the note. (A rater
    who reads a review only for the pattern's sake sees no other employee's note:
    tests/api/test_issue13_rater_sees_review.py.)"""
    assessment = year_until(org, cycle, "submitted")
    row = board_rows_in_the_api(org.kepala.user, assessment.unit_review)[assessment.pk]
    assert (row["results_rating"], row["note"], row["behaviour_values"]) == ("above", NOTE, {"accountability": "above"})


def test_the_forums_adjustment_on_the_reviews_history_is_withheld_from_the_leader_it_is_about(org, cycle):
    """On the agency's review, an adjustment of kepala's own result before its issue keeps its
    step for kepala, without its ratings or reason."""
    assessment = year_until(org, cycle, "submitted")
    agency = UnitReview.objects.get(evaluation=assessment.evaluation, unit=org.agency)
    kepalas = Assessment.objects.get(evaluation=assessment.evaluation, employee=org.kepala)
    perform(kepalas, "submit", actor=org.sekda.user)
    from .api.helpers import agency_forum

    unit_review_adjust(review=agency, actor=agency_forum(cycle), assessment_id=kepalas.pk, reason=ADJUST_REASON,
                       behaviour_rating="below")
    (adjust,) = [e for e in english(org.kepala.user).get(f"{API}/unit-reviews/{agency.pk}/history/").json() if e["action"] == "adjust"]
    assert adjust["redacted"] and adjust["data"] == {} and adjust["comment"] == ""
    (seen,) = [e for e in english(org.hr).get(f"{API}/unit-reviews/{agency.pk}/history/").json() if e["action"] == "adjust"]
    assert seen["data"]["assessment"] == kepalas.pk and seen["comment"] == ADJUST_REASON


# The inbox ---------------------------------------------------------------------------------------------------


def test_a_notice_naming_a_result_not_issued_yet_reaches_its_employee_without_it(org, cycle):
    """No notice names a result to its employee before the issue today; should one ever (a new
    flow's notice), the inbox leaves the result out of its data and its message."""
    assessment = year_until(org, cycle, "submitted")
    notify_bulk([(Notice(org.employee.user_id, "assessment.adjusted", {"employee": "Staf A1", "predicate": "Very good",
                                                                       "comment": ADJUST_REASON}), "assessment", assessment.pk)])
    (listed,) = [n for n in english(org.employee.user).get(f"{API}/notifications/").json()["results"]
                 if n["event"] == "assessment.adjusted"]
    assert "predicate" not in listed["data"] and "comment" not in listed["data"]
    assert "Very good" not in listed["message"] and ADJUST_REASON not in listed["message"]


# A reader whose own result is on the board --------------------------------------------------------------------


@pytest.fixture
def hr_staffer(org):
    """HR of the agency who is also staff of the division (as BKPSDM's own people are): their
    own assessment sits on the division's board, among those they oversee."""
    from .factories import EmployeeFactory, RoleAssignmentFactory

    staffer = EmployeeFactory(name="Analis SDM", user__username="analis.sdm", position__unit=org.division,
                              position__superior=org.kabid.position)
    RoleAssignmentFactory(user=staffer.user, unit=org.agency)
    return staffer


def test_hr_reading_the_board_of_their_own_unit_cannot_read_their_result_from_the_distribution(org, hr_staffer, cycle):
    """Rows aside, the distribution and the pattern's passes would give the own predicate away by
    subtraction: before the issue they count the others only, and the pattern is not shown."""
    assessment = year_until(org, cycle, "submitted")
    mine = Assessment.objects.get(evaluation=assessment.evaluation, employee=hr_staffer)
    assessment_rate(assessment=mine, actor=org.kabid.user, ratings={"results_rating": "above", "behaviour_rating": "above"})
    perform(mine, "submit", actor=org.kabid.user)
    url = f"{API}/unit-reviews/{assessment.unit_review_id}/"
    mine_seen = english(hr_staffer.user).get(url).json()
    forum_seen = english(org.forum_member).get(url).json()
    assert forum_seen["total"] == mine_seen["total"] + 1 and forum_seen["pattern"]
    assert mine_seen["pattern"] == [] and mine_seen["departures"] == []
    assert mine_seen["distribution"]["very_good"] == forum_seen["distribution"]["very_good"] - 1
    (row,) = [a for a in mine_seen["assessments"] if a["id"] == mine.pk]
    assert not row["predicate"] and not row["results_rating"]
    page = page_of(hr_staffer.user, f"/reviews/{assessment.unit_review_id}/")
    assert board_rows_on_the_page(page)[mine.pk]["predicate"] == ""
    assert f'<span class="badge">{mine_seen["total"]}</span>' in page
