"""Every event the flows emit has a message in Indonesian and English; e-mails are written in
the recipient's language and link to the document, whose address leads to it in the API."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import resolve

from notifications.messages import MESSAGES, render
from workflow.deadlines import KINDS
from workflow.engine import perform
from workflow.registry import document_models

from ..api.helpers import API, document_link, english, mails_to, submitted_plan

ROOT = Path(settings.BASE_DIR)
EMITTING_MODULES = [
    *sorted((ROOT / "processes" / "flows").glob("*.py")),
    *sorted((ROOT / "processes" / "services").glob("*.py")),
    ROOT / "org" / "delegations.py",
]
EVENT_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


def _spelled(node, function) -> set[str]:
    """The event names the second argument of a Notice(...) call can take."""
    if isinstance(node, ast.Constant):
        return {node.value}
    if isinstance(node, ast.JoinedStr):  # f"report.{'accepted' if ... else 'returned'}"
        prefix = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
        return {
            prefix + choice.value
            for part in node.values if isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.IfExp)
            for choice in (part.value.body, part.value.orelse) if isinstance(choice, ast.Constant)
        }
    # A variable: the event names the function spells out (the plan flow maps actions to events).
    return {c.value for c in ast.walk(function) if isinstance(c, ast.Constant) and EVENT_NAME.match(str(c.value))}


def emitted_events() -> set[str]:
    events = {event for _claim, _due, event, _action in KINDS.values()}
    for path in EMITTING_MODULES:
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for call in ast.walk(function):
                if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Notice" and len(call.args) >= 2:
                    events |= _spelled(call.args[1], function)
    return events


EVENTS = sorted(emitted_events())
# Values for every placeholder of every template.
SAMPLE = {
    "employee": "Putri Ayu", "year": 2026, "comment": "Lengkapi target", "name": "Kinerja 2026", "plans": 12,
    "month": 3, "unit": "Bidang A", "period": "annual", "predicate": "good", "deadline": "2026-03-16",
    "due": "2026-03-07", "document": "SKP 2026 — Putri Ayu", "actions": "approve, return", "assignee": "Kabid A",
    "delegator": "Kabid A", "start": "2026-03-02", "end": "2026-03-13", "reason": "Cuti tahunan", "outcome": "granted",
}
# Missing from locale/id/LC_MESSAGES/django.po: they render in English for Indonesian readers.
def test_the_scan_finds_the_events_of_every_kind_of_emitter():
    assert {"plan.submitted", "plan.returned", "report.accepted", "report.returned", "cycle.opened", "task.escalated",
            "delegation.started", "member.rater_removed", "feedback.requested"} <= set(EVENTS)


@pytest.mark.parametrize("event", EVENTS)
def test_every_emitted_event_has_a_message(event):
    assert event in MESSAGES


@pytest.mark.parametrize("event", EVENTS)
def test_every_emitted_event_reads_differently_in_indonesian_and_english(event):
    assert render(event, SAMPLE, "id") != render(event, SAMPLE, "en")


def test_a_message_fills_in_the_events_data():
    assert render("plan.submitted", {"employee": "Putri Ayu", "year": 2026}, "en") == (
        "Putri Ayu submitted a performance plan (SKP) 2026 for your approval."
    )
    assert render("plan.approved", {"year": 2026}, "id") == "SKP tahun 2026 Anda telah disetujui."


def test_a_message_missing_a_value_shows_an_ellipsis_rather_than_failing():
    assert render("plan.returned", {"year": 2026}, "en") == "Your performance plan (SKP) 2026 was returned for revision: …"


def test_an_event_without_a_template_renders_as_its_name():
    assert render("plan.vanished", {}, "en") == "plan.vanished"


# E-mails in the recipient's language, with the document's address ---------------------------------


def test_each_recipient_gets_the_email_in_their_own_language(org, cycle, approved_chain, django_capture_on_commit_callbacks):
    org.kabid.language = "en"
    org.kabid.save(update_fields=["language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
    with django_capture_on_commit_callbacks(execute=True):
        perform(plan, "approve", actor=org.kabid.user)
    (to_rater,) = mails_to(org.kabid.user)
    assert to_rater.subject == "[Kinerja] Staf A1 submitted a performance plan (SKP) 2026 for your approval."
    (to_employee,) = mails_to(org.employee.user)  # Indonesian, the default
    assert to_employee.subject == "[Kinerja] SKP tahun 2026 Anda telah disetujui."
    assert document_link(plan) in to_rater.body and document_link(plan) in to_employee.body


def test_the_inbox_shows_the_message_in_the_language_the_request_asks_for(org, cycle, approved_chain):
    submitted_plan(org, cycle, approved_chain)
    listed = english(org.kabid.user).get(f"{API}/notifications/", {"event": "plan.submitted"}).json()["results"]
    assert [n["message"] for n in listed] == ["Staf A1 submitted a performance plan (SKP) 2026 for your approval."]


def test_the_document_link_takes_a_logged_in_user_to_the_plans_page(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    client = Client()
    client.force_login(org.kabid.user)
    response = client.get(f"/d/plan/{plan.pk}/")
    assert (response.status_code, response["Location"]) == (302, f"/plans/{plan.pk}/")
    assert client.get(response["Location"]).status_code == 200


def test_the_document_link_sends_an_anonymous_visitor_to_log_in(db):
    response = Client().get("/d/plan/7/")
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL) and "next=/d/plan/7/" in response["Location"]


@pytest.mark.parametrize("document_type", sorted({*document_models(), "delegation"}))
def test_every_document_a_notification_names_has_a_page_or_an_api_resource(org, document_type):
    client = Client()
    client.force_login(org.hr)
    response = client.get(f"/d/{document_type}/1/")
    assert response.status_code == 302
    match = resolve(response["Location"])
    assert match.url_name.endswith("-detail") or match.url_name in {"feedback-answer"}


def test_an_unknown_document_type_has_no_link(org):
    client = Client()
    client.force_login(org.hr)
    assert client.get("/d/payroll/1/").status_code == 404
