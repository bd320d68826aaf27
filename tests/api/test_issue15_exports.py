"""The exports and the evaluation document show the organisation data (rank, employment type,
kind of position), each plan's period and, for someone with several plans in the year, how the
annual predicate is derived from them."""

import base64
import csv
import datetime
import io
import re
import zlib

import pytest
from openpyxl import load_workbook

from org.models import Employee
from processes.models import Assessment, CycleMember, Plan, PlanResult
from processes.services.membership import member_move
from processes.services.result_outputs import EXPORT_COLUMNS, annual_derivations, ratified_results
from workflow.engine import perform

from ..conftest import fill_plan
from ..factories import PositionFactory
from ..lifecycle import approve_all_plans
from .helpers import assessment_url, cycle_url, english, ratified_evaluation

pytestmark = pytest.mark.django_db

# The columns before issue 15, in their order: readers of the export find them where they were.
COLUMNS_BEFORE = [
    "year", "period", "nip", "name", "employment_type", "unit_code", "unit", "position", "rater_nip", "rater",
    "raters_superior_nip", "unit_predicate", "results_rating", "behaviour_rating", "predicate", "changed_by", "predicate_before_change",
]
MOVED_ON = datetime.date(2026, 7, 1)


def csv_rows(cycle, hr) -> list[dict]:
    response = english(hr).get(cycle_url(cycle) + "results.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def pdf_text(content: bytes) -> bytes:
    """The PDF's page contents, decoded (reportlab writes them ASCII85 over Flate)."""
    text = b""
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        data = stream.strip()
        try:
            text += zlib.decompress(base64.a85decode(data.removesuffix(b"~>")))
        except (ValueError, zlib.error):
            text += data
    return text.replace(rb"\(", b"(").replace(rb"\)", b")")  # a PDF string escapes its parentheses


def promoted_in_july(org, cycle) -> Plan:
    """Every plan approved; org.employee (a PNS, III/a) moves on 1 July to a functional position
    in the other division, whose new plan other_kabid approves. Returns the new plan."""
    Employee.objects.filter(pk=org.employee.pk).update(grade="III/a")
    approve_all_plans(cycle)
    position = PositionFactory(title="Analis Kebijakan Ahli Pertama", unit=org.other_division, superior=org.other_kabid.position,
                               kind="functional", functional_level="ahli_pertama")
    member = CycleMember.objects.get(cycle=cycle, employee=org.employee)
    new_plan = member_move(member=member, position=position, on=MOVED_ON, actor=org.hr).started
    fill_plan(new_plan, supports=PlanResult.objects.get(plan__cycle=cycle, plan__employee=org.other_kabid, approved=True))
    perform(new_plan, "submit", actor=org.employee.user)
    perform(new_plan, "approve", actor=org.other_kabid.user)
    return new_plan


@pytest.fixture
def year_with_a_move(org, cycle):
    promoted_in_july(org, cycle)
    return ratified_evaluation(org, cycle, approve=False)


def test_the_columns_before_issue_15_keep_their_order_and_the_new_ones_follow():
    assert EXPORT_COLUMNS[:len(COLUMNS_BEFORE)] == COLUMNS_BEFORE
    assert EXPORT_COLUMNS[len(COLUMNS_BEFORE):] == [
        "grade", "grade_label", "position_kind", "functional_level", "plan_start", "plan_end", "plan_ended", "leave_reason",
        "annual_option", "annual_parts", "annual_predicate", "position_start", "contract_start", "contract_end",
    ]


def test_the_csv_shows_each_plan_of_a_mover_with_its_period_rank_and_kind_of_position(org, cycle, year_with_a_move):
    rows = [r for r in csv_rows(cycle, org.hr) if r["nip"] == org.employee.nip]
    first, second = sorted(rows, key=lambda r: r["plan_start"])
    assert (first["plan_start"], first["plan_end"], first["plan_ended"]) == ("2026-01-01", "2026-06-30", "move")
    assert (second["plan_start"], second["plan_end"], second["plan_ended"]) == ("2026-07-01", "2026-12-31", "")
    assert {r["grade"] for r in rows} == {"III/a"} and {r["grade_label"] for r in rows} == {"Penata Muda, III/a"}
    assert {r["employment_type"] for r in rows} == {"pns"}
    assert (first["unit_code"], first["position_kind"], first["functional_level"]) == ("DIV-A", "executor", "")
    assert (second["unit_code"], second["position_kind"], second["functional_level"]) == ("DIV-B", "functional", "ahli_pertama")
    assert (first["rater"], second["rater"]) == ("Kabid A", "Kabid B")


def test_the_csv_shows_the_annual_derivation_of_a_mover_and_none_for_one_plan(org, cycle, year_with_a_move):
    rows = csv_rows(cycle, org.hr)
    mover = [r for r in rows if r["nip"] == org.employee.nip]
    assert {(r["annual_option"], r["annual_predicate"]) for r in mover} == {("most_months", "good")}
    # The later plan covers more days (184 against 181): it is the one chosen, marked "*".
    assert {r["annual_parts"] for r in mover} == {"2026-01-01/2026-06-30 6 good; 2026-07-01/2026-12-31 6 good *"}
    others = [r for r in rows if r["nip"] != org.employee.nip]
    assert others and {(r["annual_option"], r["annual_parts"], r["annual_predicate"]) for r in others} == {("", "", "")}


def test_the_xlsx_carries_the_same_new_columns(org, cycle, year_with_a_move):
    response = english(org.hr).get(cycle_url(cycle) + "results.xlsx")
    header, *rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    assert list(header) == EXPORT_COLUMNS
    mover = [dict(zip(header, row)) for row in rows if row[header.index("nip")] == org.employee.nip]
    assert sorted(r["plan_start"] for r in mover) == ["2026-01-01", "2026-07-01"]
    assert {r["annual_predicate"] for r in mover} == {"good"}


def test_the_annual_derivations_of_an_export_cost_two_queries(org, cycle, year_with_a_move, django_assert_num_queries):
    results = ratified_results(cycle)
    with django_assert_num_queries(2):
        derivations = annual_derivations(results)
    ((_evaluation, employee_id),) = derivations
    assert employee_id == org.employee.pk


def test_the_evaluation_document_shows_rank_kind_period_and_the_annual_derivation(org, cycle, year_with_a_move):
    assessment = Assessment.objects.get(cycle=cycle, employee=org.employee, member__plan__start=MOVED_ON)
    response = english(org.employee.user).get(assessment_url(assessment, "document"))
    assert response.status_code == 200
    text = pdf_text(response.content)
    for shown in (b"Penata Muda, III/a", b"PNS (civil servant)", b"Functional (jabatan fungsional), First expert (ahli pertama)",
                  b"1 July 2026", b"31 December 2026", b"Plans of the year", b"30 June 2026", b"Kabid A", b"Kabid B",
                  b"Annual predicate", b"the plan that covers the most months", b"(chosen)"):
        assert shown in text, shown


def test_the_evaluation_document_of_one_plan_has_its_period_and_no_derivation(org, cycle):
    evaluation = ratified_evaluation(org, cycle)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.colleague)
    text = pdf_text(english(org.colleague.user).get(assessment_url(assessment, "document")).content)
    assert b"1 January 2026" in text and b"31 December 2026" in text and b"Executor (jabatan pelaksana)" in text
    assert b"Plans of the year" not in text


def test_a_note_with_markup_characters_does_not_break_the_document(org, cycle):
    evaluation = ratified_evaluation(org, cycle)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.colleague)
    Assessment.objects.filter(pk=assessment.pk).update(note="Target <b>tercapai & lebih\nkurang < 5% selisih")
    response = english(org.colleague.user).get(assessment_url(assessment, "document"))
    assert response.status_code == 200 and b"tercapai & lebih" in pdf_text(response.content)
