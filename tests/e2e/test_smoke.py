"""The browser sees the app: login, the inbox in Indonesian, the language switch."""

import pytest

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_employee_logs_in_and_sees_the_inbox_in_indonesian_then_english(org, cycle, visit):
    page = visit("employee")
    assert page.locator("h1").inner_text() == "Kotak Masuk"
    assert "SKP 2026" in page.content()  # the plan waiting to be submitted
    screenshot(page, "inbox")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("h1").inner_text() == "Inbox"


def test_a_wrong_password_is_refused_on_the_login_page(org, visit):
    page = visit()
    page.goto(f"{page.base}/login/")
    page.fill("#id_username", "employee")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "/login/" in page.url
    assert page.locator(".errorlist").count() == 1
