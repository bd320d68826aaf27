"""People who join, move and leave hear of it: the employee (``plan.period_*``) and the raters of
the plans concerned (``member.*``: the new plan's rater on a join or a move, the ended plan's
rater on a move or a leave), in Indonesian and English, with dates as people write them."""

import datetime

import pytest
from django.core import mail

from notifications.delivery import email_message
from notifications.endpoints import webhook_check
from notifications.messages import MESSAGES, render
from notifications.models import Delivery, Notification
from processes.models import CycleMember
from processes.services.membership import member_join, member_leave, member_move

from ..api.helpers import API, english, mails_to
from ..factories import EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db

CHANGE_EVENTS = ["plan.period_join", "plan.period_move", "plan.period_ended", "member.join", "member.move", "member.ended"]
DATA = {"employee": "Putri Ayu", "year": 2026, "start": "2026-07-01", "end": "2026-12-31"}


def member_of(cycle, employee) -> CycleMember:
    return CycleMember.objects.select_related("cycle", "employee", "unit").get(cycle=cycle, employee=employee, plan__ended="")


def events_to(user) -> set[str]:
    return set(Notification.objects.filter(recipient=user, event__in=CHANGE_EVENTS).values_list("event", flat=True))


# The messages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("event", CHANGE_EVENTS)
def test_every_change_event_has_a_message_in_both_languages(event):
    assert event in MESSAGES
    indonesian, english_text = render(event, DATA, "id"), render(event, DATA, "en")
    assert "SKP" in indonesian and "performance" not in indonesian and "performance" in english_text
    assert "…" not in indonesian + english_text


@pytest.mark.parametrize("event", CHANGE_EVENTS)
def test_the_dates_of_a_change_read_as_people_write_them_not_as_iso(event):
    indonesian, english_text = render(event, DATA, "id"), render(event, DATA, "en")
    assert "2026-07-01" not in indonesian + english_text
    assert "1 Juli 2026" in indonesian and "31 Desember 2026" in indonesian
    assert "1 July 2026" in english_text and "31 December 2026" in english_text


def test_the_employee_hears_of_a_join_in_their_own_words():
    assert render("plan.period_join", DATA, "id") == (
        "Anda bergabung dalam siklus kinerja tahun 2026 sejak 1 Juli 2026: silakan susun SKP Anda untuk periode "
        "1 Juli 2026 s.d. 31 Desember 2026."
    )
    assert render("plan.period_join", DATA, "en") == (
        "You joined the performance cycle 2026 on 1 July 2026: draft your performance plan (SKP) for 1 July 2026 to 31 December 2026."
    )


def test_a_date_that_is_not_a_date_is_shown_as_it_came_and_a_missing_one_as_an_ellipsis():
    assert "someday" in render("member.move", {**DATA, "start": "someday"}, "en")
    assert "…" in render("member.ended", {"employee": "Putri Ayu", "year": 2026}, "en")


def test_a_webhook_may_ask_for_the_change_events():
    _url, events, _timeout = webhook_check(url="https://hooks.example.org/kinerja", events=CHANGE_EVENTS)
    assert events == CHANGE_EVENTS


def test_a_notification_of_an_event_without_a_message_is_delivered_under_its_name(org):
    notification = Notification.objects.create(recipient=org.employee.user, event="plan.period_paused", data={"year": 2026})
    delivery = Delivery.objects.create(notification=notification, channel=Delivery.Channel.EMAIL)
    assert email_message(delivery).subject == "[Kinerja] plan.period_paused"
    listed = english(org.employee.user).get(f"{API}/notifications/").json()["results"]
    assert [n["message"] for n in listed] == ["plan.period_paused"]


# Who hears of each change -----------------------------------------------------------------------


def test_a_joiner_and_their_rater_hear_of_the_join(org, cycle, django_capture_on_commit_callbacks):
    joiner = EmployeeFactory(name="Pegawai Baru", position__unit=org.division, position__superior=org.kabid.position)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        member_join(cycle=cycle, employee=joiner, start_on=datetime.date(2026, 7, 1), actor=org.hr)
    assert events_to(joiner.user) == {"plan.period_join"}
    assert events_to(org.kabid.user) == {"member.join"}
    assert Notification.objects.get(recipient=org.kabid.user, event="member.join").data == {
        "employee": "Pegawai Baru", "year": 2026, "start": "2026-07-01", "end": "2026-12-31", "ended": ""}
    (to_rater,) = mails_to(org.kabid.user)
    assert "1 Juli 2026" in to_rater.subject and "2026-07-01" not in to_rater.body


def test_a_mover_their_old_rater_and_their_new_rater_each_hear_of_the_move(org, cycle):
    position = PositionFactory(unit=org.other_division, superior=org.other_kabid.position)
    member_move(member=member_of(cycle, org.employee), position=position, on=datetime.date(2026, 7, 1), actor=org.hr)
    assert events_to(org.employee.user) == {"plan.period_ended", "plan.period_move"}
    assert events_to(org.kabid.user) == {"member.ended"}  # the old rater: the plan they evaluate ended
    assert events_to(org.other_kabid.user) == {"member.move"}
    ended = Notification.objects.get(recipient=org.kabid.user, event="member.ended")
    assert (ended.data["start"], ended.data["end"]) == ("2026-01-01", "2026-06-30")
    assert "30 June 2026" in render("member.ended", ended.data, "en")
    assert "the employee moved" in render("member.ended", ended.data, "en")


def test_a_leaver_and_their_rater_hear_that_the_plan_ended(org, cycle):
    member_leave(member=member_of(cycle, org.colleague), on=datetime.date(2026, 11, 1), reason="retirement", actor=org.hr)
    assert events_to(org.colleague.user) == {"plan.period_ended"}
    assert events_to(org.kabid.user) == {"member.ended"}
    to_rater = Notification.objects.get(recipient=org.kabid.user, event="member.ended")
    assert "the employee left" in render(to_rater.event, to_rater.data, "en")
    notice = Notification.objects.get(recipient=org.colleague.user, event="plan.period_ended")
    assert "31 Oktober 2026" in render(notice.event, notice.data, "id")
