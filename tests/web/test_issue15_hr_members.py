"""HR's members page: each plan period with its rater; a join, a move and a leave from a date."""

import datetime

import pytest

from processes.models import CycleMember, Plan

from ..factories import EmployeeFactory, PositionFactory
from .test_hr_pages import browser, detail, section

pytestmark = pytest.mark.django_db


def test_hr_moves_an_employee_from_a_date_and_the_page_shows_both_periods(org, cycle):
    hr, url = browser(org.hr), detail(cycle, "members/")
    member = CycleMember.objects.get(cycle=cycle, employee=org.employee)
    new_position = PositionFactory(unit=org.other_division, superior=org.other_kabid.position)

    unknown = hr.post(url, {"op": "move", "member": member.pk, "position": "NO-SUCH", "date": "2026-07-15"})
    assert unknown.status_code == 400 and "No position has the code NO-SUCH." in section(unknown.text, f"member-{member.pk}")
    too_early = hr.post(url, {"op": "move", "member": member.pk, "position": new_position.code, "date": "2026-01-01"})
    assert too_early.status_code == 400 and "The date must fall after the plan" in section(too_early.text, f"member-{member.pk}")

    moved = hr.post(url, {"op": "move", "member": member.pk, "position": new_position.code, "date": "2026-07-15"})
    assert moved.status_code == 302
    plans = list(Plan.objects.filter(cycle=cycle, employee=org.employee).order_by("start"))
    assert [(p.start, p.end, p.ended, p.origin) for p in plans] == [
        (datetime.date(2026, 1, 1), datetime.date(2026, 7, 14), "move", "opening"),
        (datetime.date(2026, 7, 15), datetime.date(2026, 12, 31), "", "move"),
    ]
    page = hr.get(url + "?q=" + org.employee.nip).text
    old, new = section(page, f"member-{plans[0].member_id}"), section(page, f"member-{plans[1].member_id}")
    assert "1 January 2026 – 14 July 2026" in old and "Moved to another position" in old and 'value="move"' not in old
    assert "15 July 2026 – 31 December 2026" in new and org.other_kabid.name in new and 'value="move"' in new


def test_hr_records_a_leave_and_adds_a_joiner(org, cycle):
    hr, url = browser(org.hr), detail(cycle, "members/")
    member = CycleMember.objects.get(cycle=cycle, employee=org.colleague)
    bad = hr.post(url, {"op": "leave", "member": member.pk, "date": "2026-10-01", "reason": "holiday"})
    assert bad.status_code == 400 and not Plan.objects.filter(employee=org.colleague, ended="leave").exists()
    assert hr.post(url, {"op": "leave", "member": member.pk, "date": "2026-10-01", "reason": "retirement"}).status_code == 302
    plan = Plan.objects.get(member=member)
    assert (plan.end, plan.ended, plan.leave_reason) == (datetime.date(2026, 9, 30), "leave", "retirement")

    newcomer = EmployeeFactory(position__unit=org.division, position__superior=org.kabid.position)
    assert hr.post(url, {"op": "join", "employee": newcomer.nip, "start": "2026-07-01"}).status_code == 302
    joined = Plan.objects.get(cycle=cycle, employee=newcomer)
    assert (joined.start, joined.origin, joined.member.rater_id) == (datetime.date(2026, 7, 1), "join", org.kabid.pk)
    again = hr.post(url, {"op": "join", "employee": newcomer.nip, "start": "2026-08-01"})
    assert again.status_code == 403 and "already has a plan" in again.text
    assert Plan.objects.filter(cycle=cycle, employee=newcomer).count() == 1


def test_someone_who_is_not_hr_cannot_move_anyone(org, cycle):
    member = CycleMember.objects.get(cycle=cycle, employee=org.employee)
    position = PositionFactory(unit=org.other_division)
    response = browser(org.kabid.user).post(detail(cycle, "members/"),
                                            {"op": "move", "member": member.pk, "position": position.code, "date": "2026-07-15"})
    assert response.status_code == 403
    assert Plan.objects.filter(cycle=cycle, employee=org.employee).count() == 1
