"""The public feedback form at /f/<token>/: no account, Indonesian unless asked for English, a
rating from 1 to 5 and an optional plain-text comment, and a throttle against floods."""

import pytest
from django.core.cache import cache
from django.test import Client

from processes.models import PublicFeedback

from .api.helpers import at, public_link

pytestmark = pytest.mark.django_db

MARKUP = '<script>alert(1)</script><a href="http://x">klik</a> bagus'


@pytest.fixture(autouse=True)
def in_march_with_small_throttles(settings):
    """The month is known (March 2026) and no throttle count is left from another test."""
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS = "3/hour"
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK = "300/hour"
    cache.clear()
    with at(3, 10):
        yield


@pytest.fixture
def link(org):
    return public_link(org.hr, unit=org.division)


def form(link, **params):
    return Client().get(f"/f/{link.token}/", params)


def send(link, rating=4, comment="", address="203.0.113.7", lang=None, **meta):
    """A member of the public at ``address`` posts the form; ``meta`` are further request headers."""
    body = {"comment": comment} | ({} if rating is None else {"rating": rating}) | ({"lang": lang} if lang else {})
    return Client().post(f"/f/{link.token}/", body, REMOTE_ADDR=address, **meta)


def test_the_form_is_in_indonesian_by_default_and_names_the_service(org, link):
    response = form(link)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="id">' in page and "Bagaimana layanan kami?" in page and "Bidang A" in page
    counter = form(public_link(org.hr, employee=org.colleague)).content.decode()
    assert "Bidang A — Staf A2" in counter


def test_the_form_is_in_english_when_asked(link):
    page = form(link, lang="en").content.decode()
    assert '<html lang="en">' in page and "How was our service?" in page


def test_a_rating_is_stored_for_this_month_and_thanked(link):
    response = send(link, 4, "Pelayanan cepat")
    assert response.status_code == 200
    assert "Terima kasih" in response.content.decode()
    stored = PublicFeedback.objects.get()
    assert (stored.link, stored.unit, stored.employee, stored.rating, stored.comment, stored.month, stored.language) == \
        (link, link.unit, None, 4, "Pelayanan cepat", "2026-03", "id")


def test_a_rating_just_after_midnight_in_jakarta_counts_for_the_new_month(link):
    with at(4, 1, hour=0):  # still 31 March in UTC
        assert send(link, 5).status_code == 200
    assert PublicFeedback.objects.get().month == "2026-04"


def test_a_rating_through_an_employees_counter_link_is_the_employees_too(org):
    counter = public_link(org.hr, employee=org.colleague)
    assert send(counter, 5, lang="en").status_code == 200
    stored = PublicFeedback.objects.get()
    assert (stored.unit, stored.employee, stored.language) == (org.division, org.colleague, "en")


@pytest.mark.parametrize("rating", [0, 6, "x", "", None])
def test_a_rating_outside_1_to_5_or_missing_is_refused_and_nothing_stored(link, rating):
    response = send(link, rating, "Antrean panjang")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Pilih penilaian dari 1 sampai dengan 5." in page
    assert "Antrean panjang" in page  # what was written is kept for the second try
    assert not PublicFeedback.objects.exists()


def test_a_comment_over_1000_characters_is_refused_and_one_of_1000_accepted(link):
    too_long = send(link, 3, "a" * 1001)
    assert too_long.status_code == 400
    assert "Paling banyak 1000 karakter." in too_long.content.decode()
    assert not PublicFeedback.objects.exists()
    assert send(link, 3, "a" * 1000).status_code == 200
    assert len(PublicFeedback.objects.get().comment) == 1000


def test_markup_and_links_in_a_comment_are_stored_as_plain_text(link):
    assert send(link, 2, MARKUP).status_code == 200
    comment = PublicFeedback.objects.get().comment
    assert "<" not in comment and "href" not in comment
    assert comment.endswith("klik bagus")


def test_markup_sent_back_on_a_refused_form_is_escaped(link):
    page = send(link, 9, MARKUP).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_comment_with_a_nul_character_is_refused_or_stored_without_it(link):
    response = send(link, 4, "bagus\x00sekali")
    assert response.status_code == 400 or "\x00" not in PublicFeedback.objects.get().comment


def test_a_revoked_or_unknown_link_is_not_found(org, link):
    old_token = link.token
    renewed = public_link(org.hr, unit=org.division)  # issuing again revokes the old link
    link.refresh_from_db()
    assert link.revoked_at is not None
    for token in (old_token, "tidak-ada", "x" * 65):
        assert Client().get(f"/f/{token}/").status_code == 404
        assert Client().post(f"/f/{token}/", {"rating": 5}).status_code == 404
    assert not PublicFeedback.objects.exists()
    assert form(renewed).status_code == 200


def test_a_flood_from_one_address_is_told_to_wait_while_another_address_is_heard(link):
    assert [send(link, 5).status_code for _ in range(3)] == [200, 200, 200]
    flood = send(link, 5)
    assert flood.status_code == 429
    assert flood["Retry-After"] == "3600"
    assert "Mohon tunggu sebentar" in flood.content.decode()
    assert send(link, 5, address="198.51.100.20").status_code == 200
    assert PublicFeedback.objects.count() == 4


def test_a_forwarded_for_header_does_not_escape_the_address_limit_unless_trusted(link, settings):
    statuses = [send(link, 4, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    settings.KINERJA_TRUST_X_FORWARDED_FOR = True  # behind the proxy: its header names the client
    assert send(link, 4, HTTP_X_FORWARDED_FOR="192.0.2.9, 10.0.0.1").status_code == 200


def test_a_flood_on_one_link_is_told_to_wait_while_another_link_is_heard(org, link, settings):
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS = "100/hour"
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK = "3/hour"
    statuses = [send(link, 3, address=f"198.51.100.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = public_link(org.hr, unit=org.other_division)
    assert send(other, 3, address="198.51.100.99").status_code == 200
    assert list(PublicFeedback.objects.values_list("unit", flat=True).order_by("id")) == [org.division.pk] * 3 + [org.other_division.pk]
