"""The demo organisation's cycle carried through the whole year, through the API: a PPPK joins
in July and a staff member is promoted to another division in October (issue 15), and the year
still closes with every result ratified."""

import csv
import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from org.models import Position, Unit
from processes.demo import seed_demo
from processes.models import Assessment, Cycle, MonthlyReport, Plan, UnitReview
from processes.services.objections import assessments_lapse
from processes.services.reports import reports_open_month
from workflow.models import AuditEvent

from .conftest import client_for
from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
YEAR = 2026


def at(month: int, day: int, year: int = YEAR):
    return time_machine.travel(datetime.datetime(year, month, day, 10, 0, tzinfo=JAKARTA), tick=False)


def user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def api(username):
    return client_for(user(username))


def ok(response, status=200):
    assert response.status_code == status, response.content[:500]
    return response.json() if response.get("Content-Type", "").startswith("application/json") else response


def plan_id(cycle, username):
    """The employee's current plan: their latest (after a move, the new one)."""
    return Plan.objects.filter(cycle=cycle, employee__user__username=username).latest("start").pk


def assessments_of(cycle, username) -> list[Assessment]:
    return list(Assessment.objects.filter(cycle=cycle, employee__user__username=username).order_by("member__plan__start"))


def fill_and_submit(cycle, username, supports):
    pid = plan_id(cycle, username)
    body = {"results": [{"title": f"Hasil kerja {username}", "kind": "main", "supports": supports,
                         "indicators": [{"description": "Dokumen selesai", "target": "12 dokumen", "aspect": "quantity"}]}]}
    plan = ok(api(username).patch(f"/api/v1/plans/{pid}/", body, format="json"))
    ok(api(username).post(f"/api/v1/plans/{pid}/submit/", {}, format="json"))
    return plan["results"][0]["id"]


def approve(cycle, username, rater):
    ok(api(rater).post(f"/api/v1/plans/{plan_id(cycle, username)}/approve/", {"comment": "Disetujui"}, format="json"))


def test_the_demo_cycle_goes_through_the_whole_year(django_capture_on_commit_callbacks):
    with at(1, 5), django_capture_on_commit_callbacks(execute=True):
        cycle = seed_demo()
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.OPEN and Plan.objects.filter(cycle=cycle).count() == 9

    # January: the plans cascade down the hierarchy; one is returned and resubmitted.
    with at(1, 10):
        head = fill_and_submit(cycle, "kepala", None)
        approve(cycle, "kepala", "sekda")
        division = {}
        for kabid in ("kabid.a", "kabid.b"):
            division[kabid] = fill_and_submit(cycle, kabid, head)
            approve(cycle, kabid, "kepala")
        for staff, kabid in [("staf.a1", "kabid.a"), ("staf.a2", "kabid.a"), ("staf.a3", "kabid.a"),
                             ("staf.b1", "kabid.b"), ("staf.b2", "kabid.b"), ("staf.b3", "kabid.b")]:
            fill_and_submit(cycle, staff, division[kabid])
        ok(api("kabid.a").post(f"/api/v1/plans/{plan_id(cycle, 'staf.a1')}/return/", {"comment": "Target kualitas belum ada"},
                               format="json"))
        ok(api("staf.a1").post(f"/api/v1/plans/{plan_id(cycle, 'staf.a1')}/submit/", {}, format="json"))
        for staff, kabid in [("staf.a1", "kabid.a"), ("staf.a2", "kabid.a"), ("staf.a3", "kabid.a"),
                             ("staf.b1", "kabid.b"), ("staf.b2", "kabid.b"), ("staf.b3", "kabid.b")]:
            approve(cycle, staff, kabid)
    assert set(Plan.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"approved"}

    # February: January's reports are opened by the sweep, filled with evidence and reviewed.
    with at(2, 1):
        assert reports_open_month(year=YEAR, month=1) == 9
        assert reports_open_month(year=YEAR, month=1) == 0  # the sweep run twice creates nothing more
        for report in MonthlyReport.objects.filter(cycle=cycle).select_related("employee__user"):
            username = report.employee.user.username
            detail = ok(api(username).get(f"/api/v1/reports/{report.pk}/"))
            indicator = Plan.objects.get(pk=report.plan_id).results.get().indicators.get()
            ok(api(username).patch(f"/api/v1/reports/{report.pk}/",
                                   {"realisations": [{"indicator": indicator.pk, "value": "1 dokumen"}]}, format="json"))
            if username == "staf.a2":
                pdf = SimpleUploadedFile("notulen.pdf", b"%PDF-1.4 notulen rapat", content_type="application/pdf")
                ok(api(username).post(f"/api/v1/reports/{report.pk}/evidence/", {"file": pdf}, format="multipart"), 201)
            if username != "staf.b3":  # staf.b3 is late
                ok(api(username).post(f"/api/v1/reports/{report.pk}/submit/", {}, format="json"))
            assert detail["month"] == 1
    with at(2, 10):
        late = MonthlyReport.objects.get(cycle=cycle, employee__user__username="staf.b3")
        assert ok(api("staf.b3").post(f"/api/v1/reports/{late.pk}/submit/", {}, format="json"))["late"] is True
        for report in MonthlyReport.objects.filter(cycle=cycle).select_related("member__rater__user"):
            ok(api(report.member.rater.user.username).post(f"/api/v1/reports/{report.pk}/accept/", {"comment": "Baik"}, format="json"))
        progress = ok(api("hr").get(f"/api/v1/cycles/{cycle.pk}/progress/"))
        assert progress["documents"]["report"]["statuses"]["accepted"] == 9 and progress["documents"]["report"]["late"] == 1

    # July: a PPPK appointed to division A on the 15th joins the year; their plan is due in 30 days.
    joiner = EmployeeFactory(
        name="Sinta Maharani, S.AP.", user__username="staf.a4", employment_type="pppk", grade="IX",
        contract_start=datetime.date(YEAR, 7, 15), contract_end=datetime.date(YEAR + 5, 7, 14), position_start=datetime.date(YEAR, 7, 15),
        position=Position.objects.create(code="STAF-MUTASI-4", title="Analis SDM Aparatur Ahli Pertama", kind="functional",
                                         functional_level="ahli_pertama", unit=Unit.objects.get(code="BID-MUTASI"),
                                         superior=Position.objects.get(code="KABID-MUTASI")),
    )
    with at(7, 15):
        joined = ok(api("hr").post(f"/api/v1/cycles/{cycle.pk}/members/", {"employee": joiner.pk, "start": f"{YEAR}-07-15"},
                                   format="json"), 201)
        assert (joined["started"]["start"], joined["started"]["end"], joined["started"]["origin"]) == (
            f"{YEAR}-07-15", f"{YEAR}-12-31", "join")
        task = ok(api("staf.a4").get("/api/v1/tasks/"))["results"][0]
        assert task["due_at"].startswith(f"{YEAR}-08-14")
    with at(7, 20):
        fill_and_submit(cycle, "staf.a4", division["kabid.a"])
        approve(cycle, "staf.a4", "kabid.a")
    with at(8, 3):
        assert reports_open_month(year=YEAR, month=7) == 10  # the nine plans of January and the joiner's
        july = MonthlyReport.objects.get(cycle=cycle, month=7, employee__user__username="staf.a4")
        indicator = Plan.objects.get(pk=july.plan_id).results.get().indicators.get()
        ok(api("staf.a4").patch(f"/api/v1/reports/{july.pk}/", {"realisations": [{"indicator": indicator.pk, "value": "2 dokumen"}]},
                                format="json"))
        ok(api("staf.a4").post(f"/api/v1/reports/{july.pk}/submit/", {}, format="json"))
        ok(api("kabid.a").post(f"/api/v1/reports/{july.pk}/accept/", {"comment": "Baik"}, format="json"))

    # October: staf.a2 is promoted to a higher post in division B from the 1st. The plan of
    # January to September ends (kabid.a rates it); a new plan starts, rated by kabid.b.
    promotion = Position.objects.create(code="STAF-BANGKOM-4", title="Pranata SDM Aparatur Mahir", kind="functional",
                                        functional_level="mahir", unit=Unit.objects.get(code="BID-BANGKOM"),
                                        superior=Position.objects.get(code="KABID-BANGKOM"))
    first_plan = plan_id(cycle, "staf.a2")
    with at(10, 1):
        member = Plan.objects.get(pk=first_plan).member_id
        moved = ok(api("hr").post(f"/api/v1/cycle-members/{member}/move/", {"position": promotion.pk, "date": f"{YEAR}-10-01"},
                                  format="json"))
        assert (moved["ended"]["id"], moved["ended"]["end"], moved["ended"]["ended"]) == (first_plan, f"{YEAR}-09-30", "move")
        assert ok(api("kabid.a").get(f"/api/v1/plans/{first_plan}/"))["allowed_actions"] == []
    with at(10, 5):
        fill_and_submit(cycle, "staf.a2", division["kabid.b"])
        approve(cycle, "staf.a2", "kabid.b")
    with at(11, 2):
        assert reports_open_month(year=YEAR, month=10) == 10  # staf.a2 reports October on the new plan only
        october = MonthlyReport.objects.get(cycle=cycle, month=10, employee__user__username="staf.a2")
        assert (october.plan_id, october.member.rater.user.username) == (moved["started"]["id"], "kabid.b")

    # January of the next year: annual scoring. Each plan is evaluated by its own rater: staf.a2
    # twice (kabid.a for January to September, kabid.b for October to December), the joiner once.
    with at(1, 5, YEAR + 1):
        started = ok(api("hr").post(f"/api/v1/cycles/{cycle.pk}/evaluations/", {"period": "annual"}, format="json"), 201)
        assert (started["unit_reviews"], started["assessments"]) == (3, 11)
        assert [a.member.rater.user.username for a in assessments_of(cycle, "staf.a2")] == ["kabid.a", "kabid.b"]
        reviews = {r.unit.code: r for r in UnitReview.objects.filter(cycle=cycle).select_related("unit")}
        ok(api("sekda").post(f"/api/v1/unit-reviews/{reviews['BKPSDM'].pk}/set_unit_predicate/", {"unit_predicate": "good"}, format="json"))
        for code in ("BID-MUTASI", "BID-BANGKOM"):
            ok(api("kepala").post(f"/api/v1/unit-reviews/{reviews[code].pk}/set_unit_predicate/", {"unit_predicate": "good"},
                                  format="json"))
        ratings = {"staf.a1": ("below", "as_expected"), "staf.b1": ("above", "above"), "staf.a3": ("above", "above")}
        for assessment in Assessment.objects.filter(cycle=cycle).select_related("employee__user", "member__rater__user"):
            results, behaviour = ratings.get(assessment.employee.user.username, ("as_expected", "as_expected"))
            rater = api(assessment.member.rater.user.username)
            ok(rater.patch(f"/api/v1/assessments/{assessment.pk}/",
                           {"results_rating": results, "behaviour_rating": behaviour,
                            "behaviour_values": {"service_orientation": behaviour}}, format="json"))
            ok(rater.post(f"/api/v1/assessments/{assessment.pk}/submit/", {}, format="json"))
        kepala = Assessment.objects.get(cycle=cycle, employee__user__username="kepala")
        assert kepala.is_unit_leader and kepala.results_rating == "as_expected"  # follows the unit's "good"

        # The pattern's people: a division's review holds its staff, the agency's the division
        # heads (and the agency head, at the top of the scope, outside its pattern).
        board = ok(api("forum.1").get(f"/api/v1/unit-reviews/{reviews['BID-MUTASI'].pk}/"))
        assert board["total"] == 4 and {r["passes"] for r in board["pattern"]} <= {True, False}  # a1, a2 (to September), a3, a4
        agency = ok(api("forum.1").get(f"/api/v1/unit-reviews/{reviews['BKPSDM'].pk}/"))
        assert {a["employee"]["name"] for a in agency["assessments"]} >= {"Andi Pratama, S.Sos., M.AP.", "Maria Ulfa, S.Pd., M.M."}
        assert agency["total"] == 2  # the two division heads; the agency head follows the agency's predicate

        # The forum changes a rating, never a bare predicate, and never a leader's results rating.
        staf_a3 = Assessment.objects.get(cycle=cycle, employee__user__username="staf.a3")
        adjust = f"/api/v1/unit-reviews/{reviews['BID-MUTASI'].pk}/adjust/"
        assert api("forum.1").post(adjust, {"assessment": staf_a3.pk, "predicate": "good", "reason": "Kalibrasi"},
                                   format="json").status_code == 400
        adjusted = ok(api("forum.1").post(adjust, {"assessment": staf_a3.pk, "results_rating": "as_expected",
                                                   "reason": "Kalibrasi pola distribusi"}, format="json"))
        assert (adjusted["predicate"], adjusted["rated_predicate"], adjusted["adjusted"], adjusted["previous_predicate"]) == (
            "good", "good", True, "very_good")
        kabid_a = Assessment.objects.get(cycle=cycle, employee__user__username="kabid.a")
        refused = api("forum.1").post(f"/api/v1/unit-reviews/{reviews['BKPSDM'].pk}/adjust/",
                                      {"assessment": kabid_a.pk, "results_rating": "above", "reason": "Kalibrasi"}, format="json")
        assert refused.status_code == 400 and "results_rating" in refused.json()["errors"]
        for review in reviews.values():
            ok(api("forum.1").post(f"/api/v1/unit-reviews/{review.pk}/approve/", {"justification": "Sesuai rapat forum kalibrasi"},
                                   format="json"))
        assert set(Assessment.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"issued"}

        # staf.a2's year: the plan of January to September covers the most months, so its predicate is the year's.
        first, second = assessments_of(cycle, "staf.a2")
        derived = ok(api("staf.a2").get(f"/api/v1/assessments/{second.pk}/"))["annual_result"]
        assert (derived["option"], derived["predicate"], derived["waiting"]) == ("most_months", "good", 0)
        assert [(p["assessment_id"], p["days"], p["chosen"]) for p in derived["parts"]] == [(first.pk, 273, True), (second.pk, 92, False)]

        # Three objections: one changed, two upheld (the agency head's, whose rater sekda has no
        # superior in scope, by the mayor the cycle names); one employee signs at once.
        for username in ("staf.a1", "staf.b1", "kepala"):
            assessment = Assessment.objects.get(cycle=cycle, employee__user__username=username)
            ok(api(username).post("/api/v1/objections/", {"assessment": assessment.pk, "reasons": "Capaian saya sesuai target"},
                                  format="json"), 201)
        for assessment in assessments_of(cycle, "staf.a2"):  # staf.a2 signs both results at once
            ok(api("staf.a2").post(f"/api/v1/assessments/{assessment.pk}/accept/", {}, format="json"))
    with at(1, 8, YEAR + 1):
        for username, rater, decider, outcome in (("staf.a1", "kabid.a", "kepala", "changed"), ("staf.b1", "kabid.b", "kepala", "upheld"),
                                                  ("kepala", "sekda", "walikota", "upheld")):
            objection = Assessment.objects.get(cycle=cycle, employee__user__username=username).objection
            ok(api(rater).post(f"/api/v1/objections/{objection.pk}/explanations/", {"explanation": "Penjelasan penilai"}, format="json"))
            ok(api(username).post(f"/api/v1/objections/{objection.pk}/explanations/", {"explanation": "Penjelasan pegawai"}, format="json"))
            body = {"outcome": outcome, "reasons": "Hasil pemeriksaan atasan penilai"}
            if outcome == "changed":
                body["results_rating"] = "as_expected"
            assert objection.decider.user.username == decider
            if username == "kepala":  # the agency's predicate fixes its head's results rating
                refused = api(decider).post(f"/api/v1/objections/{objection.pk}/decide/",
                                            {**body, "outcome": "changed", "results_rating": "above"}, format="json")
                assert refused.status_code == 400 and "results_rating" in refused.json()["errors"]
            ok(api(decider).post(f"/api/v1/objections/{objection.pk}/decide/", body, format="json"))
    changed = Assessment.objects.get(cycle=cycle, employee__user__username="staf.a1")
    assert (changed.predicate, changed.rated_predicate, changed.previous_predicate, changed.changed_by, changed.adjusted) == (
        "good", "good", "needs_improvement", "objection", False)
    assert Assessment.objects.get(cycle=cycle, employee__user__username="staf.b1").predicate == "very_good"

    # The rest lapse into final once the window has passed (the sweep, run twice).
    with at(1, 25, YEAR + 1):
        assert assessments_lapse() == 6
        assert assessments_lapse() == 0
        assert set(Assessment.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"final"}
        for review in UnitReview.objects.filter(cycle=cycle):
            ok(api("sekda").post(f"/api/v1/unit-reviews/{review.pk}/ratify/", {}, format="json"))
        assert set(Assessment.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"ratified"}

        document = api("staf.a1").get(
            f"/api/v1/assessments/{Assessment.objects.get(cycle=cycle, employee__user__username='staf.a1').pk}/document/"
        )
        assert document.status_code == 200 and document.content.startswith(b"%PDF")
        rows = list(csv.DictReader(io.StringIO(api("hr").get(f"/api/v1/cycles/{cycle.pk}/results.csv").content.decode("utf-8-sig"))))
        assert len(rows) == 11 and {r["nip"] for r in rows if r["name"].startswith("Putri")} == {"199103052015032008"}
        sheet = load_workbook(io.BytesIO(api("hr").get(f"/api/v1/cycles/{cycle.pk}/results.xlsx").content)).active
        assert sheet.max_row == 12  # header + 11

        closed = ok(api("hr").post(f"/api/v1/cycles/{cycle.pk}/close/", {}, format="json"))
        assert closed["status"] == "closed"
    call_command("verify_audit")
    assert AuditEvent.objects.filter(document_type="assessment", action="ratify").count() == 11
    assert set(UnitReview.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"ratified"}
