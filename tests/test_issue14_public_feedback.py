"""Issue 14: the public form cannot be exhausted by one source. The source's limit comes before the
link's budget (a source over its limit never spends the link's), an IPv6 host counts as its /64,
spoofed X-Forwarded-For entries name no one behind a trusted proxy, and bots are thanked and
ignored (a honeypot field, and a form sent back faster than a person fills it in)."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client

from processes.models import PublicFeedback
from processes.services.public_feedback import STAMP_FIELD, TRAP_FIELD, form_stamp, source_of

from .api.helpers import at, public_link

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
CITIZEN = "198.51.100.77"


@pytest.fixture(autouse=True)
def small_budgets(settings):
    """Three submissions per source and ten per link in an hour; no count left from another test."""
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS = "3/hour"
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK = "10/hour"
    settings.KINERJA_PUBLIC_FEEDBACK_MIN_SECONDS = 2
    cache.clear()
    with at(3, 10):
        yield


@pytest.fixture
def link(org):
    return public_link(org.hr, unit=org.division)


def opened_a_minute_ago(link) -> str:
    return form_stamp(link, at=time.time() - 60)


def post(link, *, address=CITIZEN, rating=4, stamp=None, **fields_and_meta):
    """A member of the public sends the form they opened a minute ago; extra keyword arguments in
    capitals are request headers (HTTP_...), the others form fields."""
    meta = {k: v for k, v in fields_and_meta.items() if k.isupper()}
    fields = {k: v for k, v in fields_and_meta.items() if not k.isupper()}
    body = {"rating": rating, "comment": "", STAMP_FIELD: opened_a_minute_ago(link) if stamp is None else stamp, **fields}
    return Client().post(f"/f/{link.token}/", body, REMOTE_ADDR=address, **meta).status_code


# The attacks ------------------------------------------------------------------------------------


def test_one_host_rotating_its_ipv6_addresses_cannot_exhaust_a_link(link):
    attacker = [post(link, address=f"2001:db8:1:2::{n:x}") for n in range(1, 30)]
    assert attacker.count(200) == 3  # its /64 is one source
    assert post(link, address=CITIZEN) == 200  # the citizen is heard: the link's budget is intact
    assert PublicFeedback.objects.count() == 4


def test_one_source_rotating_spoofed_forwarded_for_entries_behind_a_trusted_proxy_cannot_exhaust_a_link(link, settings):
    """The proxy appends the address it received the request from; whatever the client wrote to
    the left of it names no one."""
    settings.KINERJA_TRUSTED_PROXIES = "1"
    attacker = [post(link, address=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.66") for n in range(30)]
    assert attacker.count(200) == 3 and attacker.count(429) == 27
    assert post(link, address=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {CITIZEN}") == 200


def test_a_source_that_reaches_the_app_past_listed_proxies_is_counted_by_its_own_address(link, settings):
    """Trusted proxies named by address: a client that sends the header itself, from outside
    them, is counted as the address it connects from."""
    settings.KINERJA_TRUSTED_PROXIES = "10.0.0.0/8"
    attacker = [post(link, address="203.0.113.66", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in range(30)]
    assert attacker.count(200) == 3
    assert post(link, address=PROXY, HTTP_X_FORWARDED_FOR=CITIZEN) == 200


def test_a_source_over_its_limit_never_spends_the_links_budget(link, settings):
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK = "5/hour"
    assert [post(link, address="203.0.113.66") for _ in range(40)].count(200) == 3
    # 3 of the link's 5 spent: two more citizens are heard, the third is told the service is busy.
    assert [post(link, address=f"198.51.100.{n}") for n in (1, 2, 3)] == [200, 200, 429]
    assert PublicFeedback.objects.count() == 5


def test_the_sources_limit_is_checked_before_the_links(link, settings):
    """With both spent, the source is told about itself: its request never reached the link's count."""
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK = "3/hour"
    assert [post(link, address="203.0.113.66") for _ in range(3)] == [200, 200, 200]  # the link's budget is spent too
    page = Client().post(f"/f/{link.token}/", {"rating": 4, STAMP_FIELD: opened_a_minute_ago(link)}, REMOTE_ADDR="203.0.113.66")
    assert page.status_code == 429 and "dari jaringan Anda" in page.content.decode()


def test_a_link_at_its_budget_says_the_service_is_busy_not_the_connection(link, settings):
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK = "1/hour"
    assert post(link, address="198.51.100.1") == 200
    page = Client().post(f"/f/{link.token}/", {"rating": 4, "lang": "en", STAMP_FIELD: opened_a_minute_ago(link)},
                         REMOTE_ADDR="198.51.100.2")
    assert page.status_code == 429 and page["Retry-After"] == "3600"
    assert "This service has received very many responses" in page.content.decode()


# Bots -------------------------------------------------------------------------------------------


def test_the_form_carries_a_hidden_honeypot_and_a_signed_stamp(link):
    page = Client().get(f"/f/{link.token}/").content.decode()
    assert re.search(rf'<div class="trap" aria-hidden="true">.*name="{TRAP_FIELD}"[^>]*tabindex="-1"', page, re.S)
    assert ".trap { position: absolute; left: -10000px" in page  # off-screen, not display:none, which bots skip
    stamp = re.search(rf'name="{STAMP_FIELD}" value="([^"]+)"', page).group(1)
    assert stamp.startswith(f"{link.pk}:")


def test_a_bot_that_fills_the_honeypot_is_thanked_and_nothing_is_stored_or_counted(link):
    page = Client().post(f"/f/{link.token}/", {"rating": 5, TRAP_FIELD: "http://spam.example", STAMP_FIELD: opened_a_minute_ago(link)},
                         REMOTE_ADDR=CITIZEN)
    assert page.status_code == 200 and "Terima kasih" in page.content.decode()
    assert not PublicFeedback.objects.exists()
    assert [post(link) for _ in range(3)] == [200, 200, 200]  # the bot's submission spent nothing of the source's


def test_a_form_sent_back_faster_than_a_person_fills_it_in_is_discarded_unseen(link):
    just_now = form_stamp(link, at=time.time() - 1)
    assert post(link, stamp=just_now) == 200
    assert not PublicFeedback.objects.exists()
    assert post(link, stamp=form_stamp(link, at=time.time() - 3)) == 200
    assert PublicFeedback.objects.count() == 1


@pytest.mark.parametrize("stamp", ["1:1700000000:forged", "not a stamp", "::"])
def test_a_forged_stamp_is_discarded(link, stamp):
    assert post(link, stamp=stamp) == 200
    assert not PublicFeedback.objects.exists()


def test_another_links_stamp_is_discarded(org, link):
    other = public_link(org.hr, unit=org.other_division)
    assert post(link, stamp=opened_a_minute_ago(other)) == 200
    assert not PublicFeedback.objects.exists()


def test_a_form_left_open_for_a_day_is_still_accepted(link):
    assert post(link, stamp=form_stamp(link, at=time.time() - 86_400)) == 200
    assert PublicFeedback.objects.count() == 1


def test_a_form_without_a_stamp_is_left_to_the_limits(link):
    """A page opened before the stamp existed is still heard; a script that leaves the stamp out
    meets the source's limit like anyone."""
    statuses = [Client().post(f"/f/{link.token}/", {"rating": 3}, REMOTE_ADDR=CITIZEN).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_bot_with_an_invalid_rating_is_discarded_before_validation(link):
    """It learns nothing from the answer: no 400 with the form's messages."""
    assert post(link, rating=99, **{TRAP_FIELD: "x"}) == 200


def test_an_ipv4_address_and_its_ipv4_mapped_ipv6_form_are_one_source():
    assert source_of("::ffff:198.51.100.7") == source_of("198.51.100.7") == "198.51.100.7"
    assert source_of("2001:db8:1:2:aaaa::1") == source_of("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert source_of("2001:db8:1:3::1") != source_of("2001:db8:1:2::1")
    assert source_of("") == ""
