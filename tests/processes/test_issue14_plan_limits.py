"""Issue 14: how much one plan may hold is the rule set's (``plan.max_results``,
``plan.max_indicators``), and an oversized plan is refused before any work.

The attack: one request with 1,000 results x 20 indicators took 8 s of server time.
"""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from processes.models import Indicator, Plan, PlanResult
from processes.rules import DEFAULT_RULES, default_rules, plan_limits, validate_rules
from processes.services.plans import plan_update_content

from ..api.helpers import english, indicator_body, plan_url, result_body
from ..conftest import plan_of
from ..test_parity_plans_reports import plan_form

pytestmark = pytest.mark.django_db


def results(count: int, indicators: int = 1) -> list[dict]:
    return [result_body(f"Hasil {n}", indicators=[indicator_body(f"Indikator {m}") for m in range(indicators)])
            for n in range(count)]


def nothing_written(plan) -> bool:
    return not PlanResult.objects.filter(plan=plan).exists() and Plan.objects.get(pk=plan.pk).version == plan.version


def test_the_default_rule_set_holds_thirty_results_of_ten_indicators():
    assert DEFAULT_RULES["plan"] == {"max_results": 30, "max_indicators": 10}
    assert plan_limits(default_rules()) == (30, 10)


def test_a_plan_of_the_limits_is_kept_and_one_more_of_either_is_a_400_naming_the_limit(org, cycle):
    plan = plan_of(cycle, org.employee)
    client = english(org.employee.user)
    too_many = client.patch(plan_url(plan), {"results": results(31)}, format="json")
    assert too_many.status_code == 400
    assert too_many.json()["errors"] == {"results": ["A plan holds at most 30 results (the rule set's limit)."]}
    crowded = client.patch(plan_url(plan), {"results": results(2) + results(1, indicators=11)}, format="json")
    assert crowded.status_code == 400
    assert crowded.json()["errors"] == {"results[2].indicators": ["A result holds at most 10 indicators (the rule set's limit)."]}
    assert nothing_written(plan)
    full = client.patch(plan_url(plan), {"results": results(29) + results(1, indicators=10)}, format="json")
    assert full.status_code == 200, full.content[:300]
    assert PlanResult.objects.filter(plan=plan).count() == 30 and Indicator.objects.filter(result__plan=plan).count() == 39


def test_the_limits_follow_the_cycles_rule_set(org, cycle):
    cycle.rules["plan"] = {"max_results": 2, "max_indicators": 1}
    cycle.save()
    plan = plan_of(cycle, org.employee)
    response = english(org.employee.user).patch(plan_url(plan), {"results": results(3)}, format="json")
    assert response.json()["errors"] == {"results": ["A plan holds at most 2 results (the rule set's limit)."]}
    with pytest.raises(ValidationError) as refused:
        plan_update_content(plan=plan, actor=org.employee.user, results=results(1, indicators=2))
    assert refused.value.message_dict == {"results[0].indicators": ["A result holds at most 1 indicators (the rule set's limit)."]}
    assert nothing_written(plan)


def test_a_rule_set_copied_before_the_limits_existed_has_the_defaults(org, cycle):
    del cycle.rules["plan"]
    cycle.save()
    validate_rules(cycle.rules)
    plan = plan_of(cycle, org.employee)
    response = english(org.employee.user).patch(plan_url(plan), {"results": results(31)}, format="json")
    assert response.json()["errors"]["results"] == ["A plan holds at most 30 results (the rule set's limit)."]


@pytest.mark.parametrize("limits", [
    {"max_results": 1000, "max_indicators": 10},
    {"max_results": 30, "max_indicators": 0},
    {"max_results": "30", "max_indicators": 10},
    {"max_results": True, "max_indicators": 10},
    {"max_results": 30},
    [30, 10],
], ids=["over-the-ceiling", "zero", "text", "boolean", "missing-key", "not-an-object"])
def test_a_rule_set_with_limits_a_plan_cannot_hold_is_refused(limits):
    rules = default_rules()
    rules["plan"] = limits
    with pytest.raises(ValidationError) as refused:
        validate_rules(rules)
    assert list(refused.value.message_dict) == ["plan"]


def test_a_thousand_results_of_twenty_indicators_are_refused_at_once_and_write_nothing(org, cycle, settings):
    # Above the body limit the parser refuses it sooner still; here the body is let through so
    # that the plan's own limit is what refuses it.
    settings.KINERJA_JSON_MAX_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
    plan = plan_of(cycle, org.employee)
    body = {"results": results(1000, indicators=20)}
    started = time.perf_counter()
    response = english(org.employee.user).patch(plan_url(plan), body, format="json")
    elapsed = time.perf_counter() - started
    assert response.status_code == 400 and response.json()["errors"]["results"][0].startswith("A plan holds at most 30 results")
    assert elapsed < 1.5, f"{elapsed:.2f} s"
    assert nothing_written(plan)


def test_with_the_default_body_limit_the_same_request_is_refused_by_its_size(org, cycle):
    plan = plan_of(cycle, org.employee)
    response = english(org.employee.user).patch(plan_url(plan), {"results": results(1000, indicators=20)}, format="json")
    assert response.status_code == 400 and "larger than" in response.json()["errors"]["non_field_errors"][0]
    assert nothing_written(plan)


def test_the_plan_page_is_held_to_the_same_limits(org, cycle):
    plan = plan_of(cycle, org.employee)
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(org.employee.user)
    response = page.post(f"/plans/{plan.pk}/", plan_form(results(31)))
    assert response.status_code == 400
    assert "A plan holds at most 30 results (the rule set&#x27;s limit)." in response.content.decode()
    assert nothing_written(plan)
