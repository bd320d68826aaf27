"""Plans (SKP): who sees which, filters, editing the content, the actions and the history."""

import pytest

from processes.models import Indicator, Plan, PlanResult
from workflow.engine import perform

from ..conftest import client_for, fill_plan, plan_of
from .helpers import API, audit_actions, indicator_body, plan_url, result_body, submitted_plan

pytestmark = pytest.mark.django_db


def listed(user, **params) -> list[int]:
    response = client_for(user).get(f"{API}/plans/", params)
    assert response.status_code == 200
    return sorted(p["employee"]["id"] for p in response.json()["results"])


# Visibility and filters -------------------------------------------------------------------------


def test_an_employee_sees_only_their_own_plan(org, cycle):
    assert listed(org.employee.user) == [org.employee.pk]


def test_rater_sees_the_subordinates_plans_but_not_another_units(org, cycle):
    assert listed(org.kabid.user) == sorted([org.kabid.pk, org.employee.pk, org.colleague.pk])
    assert org.employee.pk not in listed(org.other_kabid.user)


def test_hr_sees_every_plan_in_its_scope(org, cycle):
    assert len(listed(org.hr)) == 6


def test_a_forum_member_sees_the_plans_of_the_unit_they_review(org, cycle):
    assert listed(org.forum_member) == sorted([org.kabid.pk, org.employee.pk, org.colleague.pk])


def test_plans_filter_by_status_employee_and_cycle(org, cycle, approved_chain):
    assert listed(org.hr, status="approved") == sorted([org.kepala.pk, org.kabid.pk])
    assert listed(org.hr, employee=org.colleague.pk) == [org.colleague.pk]
    assert listed(org.hr, cycle=cycle.pk, status="draft", employee=org.employee.pk) == [org.employee.pk]
    assert listed(org.hr, cycle=cycle.pk + 1000) == []


def test_the_plan_list_shows_the_rater_and_unit(org, cycle):
    (row,) = client_for(org.employee.user).get(f"{API}/plans/").json()["results"]
    assert row["rater"]["id"] == org.kabid.pk
    assert (row["unit"], row["unit_name"], row["year"], row["status"]) == (org.division.pk, "Bidang A", 2026, "draft")


def test_the_owner_reads_the_plan_with_its_allowed_actions(org, cycle):
    plan = plan_of(cycle, org.employee)
    body = client_for(org.employee.user).get(plan_url(plan)).json()
    assert body["id"] == plan.pk and body["results"] == [] and body["allowed_actions"] == ["submit"]


def test_a_plan_the_user_may_not_see_is_not_found(org, cycle):
    plan = plan_of(cycle, org.employee)
    assert client_for(org.other_kabid.user).get(plan_url(plan)).status_code == 404
    assert client_for(org.colleague.user).get(plan_url(plan)).status_code == 404


# Editing the content -----------------------------------------------------------------------------


def patch(user, plan, results):
    return client_for(user).patch(plan_url(plan), {"results": results}, format="json")


def test_patching_a_plan_gives_every_result_and_indicator_an_id(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    supports = approved_chain["kabid_result"].pk
    response = patch(org.employee.user, plan, [
        result_body("Laporan", supports=supports, indicators=[indicator_body("A"), indicator_body("B", aspect="time")]),
        result_body("Inovasi", kind="additional"),
    ])
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["title"], r["kind"], r["supports"]) for r in results] == [
        ("Laporan", "main", supports), ("Inovasi", "additional", None)
    ]
    assert all(isinstance(r["id"], int) for r in results)
    assert all(isinstance(i["id"], int) for r in results for i in r["indicators"])
    assert [i["aspect"] for i in results[0]["indicators"]] == ["quantity", "time"]
    assert response.json()["version"] == plan.version + 1


def test_patching_again_with_the_ids_keeps_them_and_updates_in_place(org, cycle):
    plan = plan_of(cycle, org.employee)
    (first,) = patch(org.employee.user, plan, [result_body("Laporan")]).json()["results"]
    (indicator,) = first["indicators"]
    response = patch(org.employee.user, plan, [
        result_body("Laporan bulanan", id=first["id"], indicators=[indicator_body("Diubah", target="24", id=indicator["id"])])
    ])
    (second,) = response.json()["results"]
    assert second["id"] == first["id"] and second["title"] == "Laporan bulanan"
    assert second["indicators"] == [{"id": indicator["id"], "description": "Diubah", "target": "24", "aspect": "quantity"}]
    assert PlanResult.objects.filter(plan=plan).count() == 1


def test_results_left_out_of_a_patch_are_deleted(org, cycle):
    plan = plan_of(cycle, org.employee)
    kept, dropped = patch(org.employee.user, plan, [result_body("A"), result_body("B")]).json()["results"]
    response = patch(org.employee.user, plan,
                     [result_body("A", id=kept["id"], indicators=[indicator_body(id=kept["indicators"][0]["id"])])])
    assert [r["id"] for r in response.json()["results"]] == [kept["id"]]
    assert not PlanResult.objects.filter(pk=dropped["id"]).exists()


def test_the_rater_may_not_edit_a_subordinates_plan(org, cycle):
    plan = plan_of(cycle, org.employee)
    response = patch(org.kabid.user, plan, [result_body()])
    assert response.status_code == 403 and "detail" in response.json()
    assert not PlanResult.objects.filter(plan=plan).exists()


def test_someone_who_cannot_see_the_plan_gets_not_found_on_patch(org, cycle):
    assert patch(org.other_kabid.user, plan_of(cycle, org.employee), [result_body()]).status_code == 404


def test_a_submitted_plan_cannot_be_edited(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    response = patch(org.employee.user, plan, [result_body(supports=approved_chain["kabid_result"].pk)])
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition" and response.json()["status"] == "submitted"


def test_supporting_a_result_that_is_not_the_raters_approved_one_names_the_field(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    response = patch(org.employee.user, plan, [
        result_body("Sah", supports=approved_chain["kabid_result"].pk),
        result_body("Bukan atasan langsung", supports=approved_chain["kepala_result"].pk),
    ])
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["results[1].supports"]
    assert not PlanResult.objects.filter(plan=plan).exists()


def test_supporting_a_rater_result_not_yet_approved_is_refused(org, cycle, approved_chain):
    kabid_plan = approved_chain["kabid_plan"]
    perform(kabid_plan, "amend", actor=org.kabid.user, comment="Tugas tambahan")
    (unapproved,) = fill_plan(kabid_plan)
    response = patch(org.employee.user, plan_of(cycle, org.employee), [result_body(supports=unapproved.pk)])
    assert response.status_code == 400
    assert "results[0].supports" in response.json()["errors"]


@pytest.mark.parametrize(
    "result, field",
    [
        (result_body(kind="primary"), "kind"),
        (result_body(indicators=[indicator_body(aspect="speed")]), "aspect"),
        (result_body(title=""), "title"),
    ],
    ids=["bad-kind", "bad-aspect", "empty-title"],
)
def test_a_bad_choice_or_missing_text_is_refused(org, cycle, result, field):
    response = patch(org.employee.user, plan_of(cycle, org.employee), [result])
    assert response.status_code == 400
    assert field in str(response.json()["errors"])


def test_a_result_id_of_another_plan_is_refused(org, cycle):
    (other,) = fill_plan(plan_of(cycle, org.colleague))
    response = patch(org.employee.user, plan_of(cycle, org.employee), [result_body(id=other.pk)])
    assert response.status_code == 400
    assert "results[0].id" in response.json()["errors"]
    assert PlanResult.objects.get(pk=other.pk).plan.employee == org.colleague


def test_an_unknown_indicator_id_in_a_new_result_is_refused(org, cycle):
    response = patch(org.employee.user, plan_of(cycle, org.employee), [result_body(indicators=[indicator_body(id=987654)])])
    assert response.status_code == 400
    assert "results[0].indicators[0].id" in response.json()["errors"]


# Actions ---------------------------------------------------------------------------------------


def test_employee_submits_and_the_rater_approves(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    submitted = client_for(org.employee.user).post(plan_url(plan, "submit"), {"comment": "Mohon persetujuan"}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    approved = client_for(org.kabid.user).post(plan_url(plan, "approve"), {"comment": "Baik"}, format="json")
    assert approved.status_code == 200
    body = approved.json()
    assert (body["status"], body["revision"], body["review_comment"]) == ("approved", 1, "Baik")
    assert [v["revision"] for v in body["versions"]] == [1]
    assert all(r["approved"] for r in body["results"])


def test_the_rater_returns_a_plan_with_a_comment(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    response = client_for(org.kabid.user).post(plan_url(plan, "return"), {"comment": "Perbaiki target"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "returned" and response.json()["review_comment"] == "Perbaiki target"
    assert response.json()["allowed_actions"] == []


def test_returning_without_a_comment_is_a_field_error_on_comment(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    response = client_for(org.kabid.user).post(plan_url(plan, "return"))
    assert response.status_code == 400
    assert response.json()["errors"]["comment"]
    assert Plan.objects.get(pk=plan.pk).status == "submitted"


def test_amending_needs_a_reason_and_goes_back_to_draft_with_one(org, cycle, approved_chain):
    kabid_plan = approved_chain["kabid_plan"]
    client = client_for(org.kabid.user)
    refused = client.post(plan_url(kabid_plan, "amend"), {"comment": "  "}, format="json")
    assert refused.status_code == 400 and "comment" in refused.json()["errors"]
    amended = client.post(plan_url(kabid_plan, "amend"), {"comment": "Tugas tambahan"}, format="json")
    assert amended.status_code == 200 and amended.json()["status"] == "draft"
    assert [v["revision"] for v in amended.json()["versions"]] == [1]


def test_the_wrong_actor_is_forbidden_with_a_detail(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    response = client_for(org.kabid.user).post(plan_url(plan, "submit"))
    assert response.status_code == 403
    assert response.json()["detail"]
    assert Plan.objects.get(pk=plan.pk).status == "draft"


def test_an_action_from_the_wrong_state_is_a_conflict_with_the_allowed_actions(org, cycle):
    plan = plan_of(cycle, org.employee)
    response = client_for(org.employee.user).post(plan_url(plan, "amend"), {"comment": "x"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition" and body["status"] == "draft"
    assert body["allowed_actions"] == ["submit"] and body["detail"]


def test_submitting_before_the_raters_plan_is_approved_says_so(org, cycle):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan)
    response = client_for(org.employee.user).post(plan_url(plan, "submit"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "Kabid A" in response.json()["detail"] and "not approved" in response.json()["detail"]
    assert audit_actions(plan) == ["create"]


def test_another_units_rater_cannot_approve_a_plan_they_cannot_see(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    assert client_for(org.other_kabid.user).post(plan_url(plan, "approve")).status_code == 404
    assert Plan.objects.get(pk=plan.pk).status == "submitted"


# History ---------------------------------------------------------------------------------------


def test_plan_history_lists_the_events_in_order_with_actor_and_comment(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    client_for(org.employee.user).post(plan_url(plan, "submit"), {"comment": "Mohon"}, format="json")
    client_for(org.kabid.user).post(plan_url(plan, "return"), {"comment": "Perbaiki"}, format="json")
    events = client_for(org.employee.user).get(plan_url(plan, "history")).json()
    assert [(e["action"], e["from_state"], e["to_state"], e["comment"]) for e in events] == [
        ("create", "", "draft", ""),
        ("submit", "draft", "submitted", "Mohon"),
        ("return", "submitted", "returned", "Perbaiki"),
    ]
    assert [e["actor"] and e["actor"]["username"] for e in events] == [None, "employee", "kabid"]
    assert events[1]["actor"]["name"] == "Staf A1"


def test_an_edit_through_the_api_appears_in_the_history(org, cycle):
    plan = plan_of(cycle, org.employee)
    patch(org.employee.user, plan, [result_body()])
    events = client_for(org.employee.user).get(plan_url(plan, "history")).json()
    assert [e["action"] for e in events] == ["create", "edit"]


def test_the_history_of_a_plan_the_user_may_not_see_is_not_found(org, cycle):
    assert client_for(org.other_employee.user).get(plan_url(plan_of(cycle, org.employee), "history")).status_code == 404


def test_indicators_are_stored_in_the_order_given(org, cycle):
    plan = plan_of(cycle, org.employee)
    patch(org.employee.user, plan, [result_body(indicators=[indicator_body("Pertama"), indicator_body("Kedua")])])
    assert list(Indicator.objects.filter(result__plan=plan).values_list("description", flat=True)) == ["Pertama", "Kedua"]


def test_someone_who_cannot_see_a_plan_learns_nothing_of_its_state_from_an_action(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    # "submit" is not possible from "submitted": the refusal would name the state and the actions
    response = client_for(org.other_kabid.user).post(plan_url(plan, "submit"))
    assert response.status_code == 404
    assert "submitted" not in response.content.decode() and "allowed_actions" not in response.json()


@pytest.mark.parametrize("key", ["987654", "not-a-number"])
def test_an_action_on_a_plan_that_does_not_exist_is_a_404(org, key):
    response = client_for(org.employee.user).post(f"{API}/plans/{key}/submit/")
    assert response.status_code == 404


def test_an_approval_answers_with_the_plan_as_its_rater_sees_it_without_the_visibility_lookups(
    org, cycle, approved_chain, django_assert_max_num_queries
):
    plan = submitted_plan(org, cycle, approved_chain)
    client = client_for(org.kabid.user)
    # the engine's (its batch is one query on PostgreSQL, one per statement on SQLite: 9 here)
    # and the response's (results, indicators, versions, the rater's employee): no
    # HR scope, acting posts or delegations
    with django_assert_max_num_queries(16):
        response = client.post(plan_url(plan, "approve"))
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "approved" and body["revision"] == 1
    assert [r["title"] for r in body["results"]] == list(plan.results.order_by("order", "id").values_list("title", flat=True))


# Bad input is a 400 naming the field, never a 500 ---------------------------------------------------


@pytest.mark.parametrize(
    "results, key, message",
    [
        ([result_body("x" * 10_000)], "results[0].title", "Write at most 500 characters (10000 given)."),
        ([result_body(indicators=[indicator_body(target="9" * 201)])], "results[0].indicators[0].target",
         "Write at most 200 characters (201 given)."),
        ([result_body(indicators=[indicator_body(aspect=["time"])])], "results[0].indicators[0].aspect",
         "Choose quantity, quality or time."),
        ([result_body(id="abc")], "results[0].id", "This result is not part of this plan."),
        ([result_body(supports=1.5)], "results[0].supports", "Choose an approved result of your rater's plan in this cycle."),
        ([result_body(id=2**70)], "results[0].id", "This result is not part of this plan."),
        ([result_body(title={"text": "x"})], "results[0].title", "Write text."),
        ([result_body("Laporan\x00")], "results[0].title", "Null characters are not allowed."),
        ([result_body(indicators=["not an object"])], "results[0].indicators[0]", "Give each indicator as an object with its fields."),
        ([result_body()] * 31, "results", "A plan holds at most 30 results (the rule set's limit)."),
        ([result_body(indicators=[indicator_body()] * 11)], "results[0].indicators",
         "A result holds at most 10 indicators (the rule set's limit)."),
    ],
    ids=["long-title", "long-target", "aspect-list", "id-text", "supports-fraction", "id-overflow", "title-object",
         "title-nul", "indicator-text", "too-many-results", "too-many-indicators"],
)
def test_content_that_breaks_a_rule_is_a_400_with_the_services_reason(org, cycle, results, key, message):
    plan = plan_of(cycle, org.employee)
    response = client_for(org.employee.user).patch(plan_url(plan), {"results": results}, format="json",
                                                   HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["errors"][key] == [message]
    assert Plan.objects.get(pk=plan.pk).version == plan.version and not PlanResult.objects.filter(plan=plan).exists()


def test_a_result_given_twice_is_refused(org, cycle):
    plan = plan_of(cycle, org.employee)
    (first,) = patch(org.employee.user, plan, [result_body("A")]).json()["results"]
    response = patch(org.employee.user, plan, [result_body("A", id=first["id"]), result_body("B", id=first["id"])])
    assert response.status_code == 400 and "results[1].id" in response.json()["errors"]
    assert [r.title for r in PlanResult.objects.filter(plan=plan)] == ["A"]
