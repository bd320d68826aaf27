"""On a phone (390 × 844 CSS pixels): the inbox and the plan page fit the width, with no
horizontal scrolling of the page (wide tables scroll inside their own box)."""

import pytest

from ..conftest import plan_of
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="id",
                                  extra_http_headers={"Accept-Language": "id"})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    yield page
    context.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_inbox_and_the_plan_page_fit_a_phone_screen(org, cycle, approved_chain, phone):
    page = phone
    plan = plan_of(cycle, org.employee)
    page.goto(f"{page.base}/login/")
    page.fill("#id_username", "employee")
    page.fill("#id_password", "secret-pass-123")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{page.base}/"
    assert page.evaluate("window.innerWidth") == 390
    assert page.locator("h1").inner_text() == "Kotak Masuk"
    assert page_width(page) <= 390
    screenshot(page, "phone_inbox")

    with page.expect_navigation():
        page.locator(f"table a[href='/plans/{plan.pk}/']").click()
    assert page.locator("#plan-form").is_visible()
    page.locator("button[data-add-result]").click()  # two results, one with two indicators
    page.locator(".result-row").first.locator("button[data-add-indicator]").click()
    page.locator(".result-row").first.locator("textarea").fill("Laporan keuangan bidang tersusun tepat waktu " * 3)
    assert page.locator(".result-row").count() == 2 and page.locator(".indicator-row").count() == 3
    assert page_width(page) <= 390
    # Every field fits inside the screen, too.
    widest = page.evaluate("Math.max(...[...document.querySelectorAll('#plan-form input, #plan-form select, "
                           "#plan-form textarea, #plan-form button')].map(e => e.getBoundingClientRect().right))")
    assert widest <= 390
    screenshot(page, "phone_plan")
