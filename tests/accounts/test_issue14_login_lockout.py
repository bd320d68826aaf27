"""Password guessing is throttled (issue 14): by account and by client address, on the login
page, the admin's login and the token endpoint; the right password is refused while locked out;
lock-outs are audited and an administrator lifts them.

Each attack is written as it was found: before django-axes, /login/ took 40 wrong passwords,
/admin/login/ 30, and the token endpoint 60 with a new X-Forwarded-For on each, and the right
password still worked."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.admin.sites import site
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.admin import LoginLockoutAdmin
from accounts.lockout import login_unlock
from accounts.models import ApiToken, LoginLockout
from workflow.errors import NotPermitted
from workflow.models import AuditEvent

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # UserFactory's
TOKEN_URL = "/api/v1/auth/token/"
LIMIT = 10
ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.20"
ID_MESSAGE = "Terlalu banyak percobaan masuk yang gagal"
EN_MESSAGE = "Too many failed attempts to log in"


@pytest.fixture(autouse=True)
def fresh_counts(settings):
    """The token endpoint's per-address throttle lives in the cache: each test starts clean. The
    defaults are the ones this file is about."""
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT = 100
    settings.KINERJA_TRUSTED_PROXIES = "0"
    settings.KINERJA_TRUST_X_FORWARDED_FOR = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def victim(db):
    return UserFactory(username="pegawai", is_staff=True)


def web_login(password: str, *, username: str = "pegawai", address: str = ATTACKER, path: str = "/login/", **headers):
    return Client().post(path, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=address, **headers)


def token_login(password: str, *, username: str = "pegawai", address: str = ATTACKER, **headers):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **headers)


def signed_in(response) -> bool:
    return response.status_code == 302 and "/login/" not in response["Location"]


def lockout_events(action: str = "lock"):
    return AuditEvent.objects.filter(document_type="login_lockout", action=action)


# The login page -------------------------------------------------------------------------------


def test_after_ten_wrong_passwords_on_the_login_page_the_right_one_is_refused(victim):
    answers = [web_login(f"guess-{n}") for n in range(LIMIT)]
    assert [a.status_code for a in answers] == [200] * (LIMIT - 1) + [429]  # the form again with its error; then locked
    right = web_login(PASSWORD)
    assert right.status_code == 429 and not signed_in(right)
    assert ID_MESSAGE in right.content.decode()


def test_nine_wrong_passwords_do_not_lock_the_account_out(victim):
    for n in range(LIMIT - 1):
        web_login(f"guess-{n}")
    assert signed_in(web_login(PASSWORD))


def test_the_lock_out_message_is_in_the_visitors_language(victim):
    for n in range(LIMIT):
        web_login(f"guess-{n}")
    indonesian = web_login(PASSWORD).content.decode()
    english = web_login(PASSWORD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ID_MESSAGE in indonesian and "30 menit" in indonesian
    assert EN_MESSAGE in english and "30 minutes" in english and ID_MESSAGE not in english


def test_the_account_is_locked_from_every_address_not_only_the_guessers(victim):
    for n in range(LIMIT):
        web_login(f"guess-{n}", address=f"203.0.113.{n + 1}")
    assert web_login(PASSWORD, address=ELSEWHERE).status_code == 429


def test_a_successful_login_forgets_the_accounts_failures(victim):
    for n in range(LIMIT - 1):
        web_login(f"guess-{n}")
    assert signed_in(web_login(PASSWORD))
    for n in range(LIMIT - 1):
        web_login(f"again-{n}")
    assert signed_in(web_login(PASSWORD))


def test_a_lockout_ends_after_the_cool_off_period_and_refused_attempts_do_not_extend_it(victim):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(LIMIT):
            web_login(f"guess-{n}")
    with time_machine.travel(start + datetime.timedelta(minutes=20), tick=False):
        assert web_login("still-guessing").status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert web_login(PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        assert signed_in(web_login(PASSWORD))


def test_a_wrong_password_for_an_unknown_username_locks_it_out_with_the_same_words(victim):
    for n in range(LIMIT):
        web_login(f"guess-{n}", username="nobody-here")
    answer = web_login("anything", username="nobody-here")
    assert answer.status_code == 429 and ID_MESSAGE in answer.content.decode()
    assert signed_in(web_login(PASSWORD))  # another account, from the same address: not locked


# The admin's login ----------------------------------------------------------------------------


def test_after_ten_wrong_passwords_on_the_admin_login_the_right_one_is_refused(victim):
    for n in range(LIMIT):
        web_login(f"guess-{n}", path="/admin/login/")
    right = web_login(PASSWORD, path="/admin/login/")
    assert right.status_code == 429 and ID_MESSAGE in right.content.decode()
    assert "_auth_user_id" not in right.wsgi_request.session


def test_failures_on_the_admin_login_and_the_login_page_add_up(victim):
    for n in range(LIMIT // 2):
        web_login(f"admin-guess-{n}", path="/admin/login/")
        web_login(f"page-guess-{n}")
    assert web_login(PASSWORD).status_code == 429


# The token endpoint ---------------------------------------------------------------------------


def test_after_ten_wrong_passwords_the_token_endpoint_refuses_the_right_one_with_a_json_429(victim):
    # The tenth wrong password is the one that locks: its answer already says so.
    assert [token_login(f"guess-{n}").status_code for n in range(LIMIT)] == [400] * (LIMIT - 1) + [429]
    right = token_login(PASSWORD)
    assert right.status_code == 429
    body = right.json()
    assert set(body) == {"errors"} and ID_MESSAGE in body["errors"]["non_field_errors"][0]
    assert int(right["Retry-After"]) == 30 * 60
    assert not ApiToken.objects.filter(user=victim).exists()


def test_the_token_endpoints_lock_out_message_follows_accept_language(victim):
    for n in range(LIMIT):
        token_login(f"guess-{n}")
    assert EN_MESSAGE in token_login(PASSWORD, HTTP_ACCEPT_LANGUAGE="en").json()["errors"]["non_field_errors"][0]


def test_a_new_x_forwarded_for_on_each_attempt_does_not_get_around_the_limit(victim):
    """The attack as found: 60 of 60 got through with a fresh header each time."""
    answers = [token_login(f"guess-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(LIMIT)]
    assert [a.status_code for a in answers] == [400] * (LIMIT - 1) + [429]
    right = token_login(PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert right.status_code == 429
    # Every attempt was counted against the one address that really sent it.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_the_token_endpoints_rate_limit_counts_the_real_address_whatever_the_header(victim, monkeypatch):
    from api.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    answers = [token_login(PASSWORD, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    assert token_login(PASSWORD, address=ELSEWHERE).status_code == 200


def test_behind_trusted_proxies_a_peer_that_is_not_one_cannot_choose_its_address(victim, settings):
    settings.KINERJA_TRUSTED_PROXIES = "10.0.0.0/8"
    settings.KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT = 5
    for n in range(5):
        token_login(f"guess-{n}", username=f"user-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert token_login(PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_behind_trusted_proxies_each_client_the_proxy_names_is_counted_apart(victim, settings):
    settings.KINERJA_TRUSTED_PROXIES = "10.0.0.0/8"
    settings.KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT = 5
    for n in range(5):
        token_login(f"guess-{n}", username=f"user-{n}", address="10.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert token_login(PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert token_login(PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 200


# By client address ----------------------------------------------------------------------------


def test_one_address_guessing_many_accounts_is_locked_out_at_the_address_limit(victim, settings):
    """Password spraying: one guess for each of many usernames never reaches an account's limit."""
    settings.KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT = 25
    for n in range(24):
        web_login("Rahasia123", username=f"pegawai-{n}")
    assert signed_in(web_login(PASSWORD))
    web_login("Rahasia123", username="pegawai-24")
    assert web_login(PASSWORD).status_code == 429  # the right password, an unlocked account, a locked address
    assert signed_in(web_login(PASSWORD, address=ELSEWHERE))
    lockout = LoginLockout.objects.get()
    assert (lockout.kind, lockout.ip_address, lockout.failures) == ("address", ATTACKER, 25)


def test_the_address_limit_is_higher_than_an_accounts_by_default():
    from django.conf import settings

    assert settings.KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT == 10


# Audit and axes' own records ------------------------------------------------------------------


def test_a_lockout_is_audited_once_with_the_username_and_the_address(victim):
    for n in range(LIMIT):
        web_login(f"guess-{n}")
    for _ in range(3):
        web_login(PASSWORD)  # refused while locked: no new lock-out
    (event,) = lockout_events()
    assert event.data["username"] == "pegawai" and event.data["address"] == ATTACKER
    assert event.data["kind"] == "account" and event.data["failures"] == LIMIT
    assert event.origin["ip"] == ATTACKER and event.origin["channel"] == "web"
    assert event.actor_id is None


def test_a_lockout_through_the_api_is_audited_as_the_apis(victim):
    for n in range(LIMIT):
        token_login(f"guess-{n}")
    (event,) = lockout_events()
    assert event.origin["channel"] == "api" and event.data["username"] == "pegawai"


def test_axes_keeps_its_own_log_of_every_counted_failure_without_the_passwords(victim):
    for n in range(LIMIT + 2):
        web_login(f"guess-{n}")
    failures = AccessFailureLog.objects.filter(username="pegawai")
    assert failures.count() == LIMIT  # the refusals while locked out are not counted
    assert failures.filter(locked_out=True).exists()
    assert not any("guess-" in attempt.post_data for attempt in AccessAttempt.objects.all())


# Unlocking ------------------------------------------------------------------------------------


def lock_out_victim():
    for n in range(LIMIT):
        web_login(f"guess-{n}")
    assert web_login(PASSWORD).status_code == 429


def test_the_unlock_command_lets_the_right_password_in_again_and_is_audited(victim):
    lock_out_victim()
    call_command("login_unlock", username="pegawai")
    assert signed_in(web_login(PASSWORD))
    (event,) = lockout_events("unlock")
    assert event.origin == {"channel": "command"}
    assert LoginLockout.objects.get().unlocked_at is not None


def test_the_admins_unlock_action_lifts_the_lockout_as_the_administrator(victim):
    lock_out_victim()
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    changelist = "/admin/accounts/loginlockout/"
    assert client.get(changelist).status_code == 200
    lockout = LoginLockout.objects.get()
    response = client.post(changelist, {"action": "unlock", "_selected_action": [lockout.pk]})
    assert response.status_code == 302
    assert signed_in(web_login(PASSWORD))
    (event,) = lockout_events("unlock")
    assert event.actor_id == admin_user.pk
    assert isinstance(site._registry[LoginLockout], LoginLockoutAdmin)


def test_only_an_administrator_may_unlock(victim, org):
    lock_out_victim()
    with pytest.raises(NotPermitted):
        login_unlock(actor=org.hr, username="pegawai")
    assert web_login(PASSWORD).status_code == 429


def test_unlocking_an_address_lifts_the_address_lockout(victim, settings):
    settings.KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        web_login("x", username=f"someone-{n}")
    assert web_login(PASSWORD).status_code == 429
    call_command("login_unlock", address=ATTACKER)
    assert signed_in(web_login(PASSWORD))


def test_staff_who_are_not_administrators_get_no_unlock_action(victim):
    from django.contrib.auth.models import Permission
    from django.test import RequestFactory

    staff = UserFactory(username="staf-admin", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_loginlockout"))
    request = RequestFactory().get("/admin/accounts/loginlockout/")
    request.user = staff
    assert "unlock" not in site._registry[LoginLockout].get_actions(request)
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    assert "unlock" in site._registry[LoginLockout].get_actions(request)
