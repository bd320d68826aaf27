"""One client address (config/request_origin.py): REMOTE_ADDR unless trusted proxies say
otherwise, the same answer for the audit trail, the API's throttles and the public form."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from api.throttling import ClientAddressIdent, ScopedRateThrottle
from config.request_origin import client_address, request_origin
from processes.models import PublicFeedback
from workflow.models import AuditEvent

from .api.helpers import at, plan_url, public_link, submitted_plan
from .api.routes import api_routes

PROXY = "10.0.0.1"
CLIENT = "203.0.113.7"


def request_from(remote_addr: str = PROXY, forwarded: str | None = None, **meta):
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **meta)


@pytest.fixture
def proxies(settings):
    """Set KINERJA_TRUSTED_PROXIES (the deprecated switch off, so only this one counts)."""
    settings.KINERJA_TRUST_X_FORWARDED_FOR = False

    def trust(value):
        settings.KINERJA_TRUSTED_PROXIES = value

    trust("0")
    return trust


# Deciding the address --------------------------------------------------------------------------


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(proxies):
    assert client_address(request_from(CLIENT, forwarded="198.51.100.1")) == CLIENT


def test_one_trusted_proxy_names_the_address_it_received_the_request_from(proxies):
    proxies("1")
    spoofed_then_real = request_from(PROXY, forwarded=f"198.51.100.1, {CLIENT}")
    assert client_address(spoofed_then_real) == CLIENT


def test_two_trusted_proxies_take_the_address_two_hops_from_the_right(proxies):
    proxies(2)
    request = request_from(PROXY, forwarded=f"198.51.100.1, {CLIENT}, 10.0.0.2")
    assert client_address(request) == CLIENT


def test_a_request_that_bypassed_the_proxies_is_counted_by_its_own_address(proxies):
    proxies("2")
    assert client_address(request_from(CLIENT)) == CLIENT


def test_the_deprecated_switch_means_one_trusted_proxy(proxies, settings):
    settings.KINERJA_TRUST_X_FORWARDED_FOR = True
    assert client_address(request_from(PROXY, forwarded=f"198.51.100.1, {CLIENT}")) == CLIENT


def test_listed_proxies_and_networks_are_skipped_from_the_right(proxies):
    proxies("10.0.0.0/8, 192.0.2.7")
    request = request_from(PROXY, forwarded=f"198.51.100.1, {CLIENT}, 192.0.2.7, 10.1.2.3")
    assert client_address(request) == CLIENT


def test_a_peer_that_is_not_a_listed_proxy_is_the_client_whatever_it_forwards(proxies):
    proxies("10.0.0.0/8")
    assert client_address(request_from(CLIENT, forwarded="10.0.0.5")) == CLIENT


def test_ipv6_proxies_and_clients_are_understood(proxies):
    proxies("2001:db8:ffff::/48")
    request = request_from("2001:db8:ffff::1", forwarded="[2001:DB8::7]:443")
    assert client_address(request) == "2001:db8::7"


def test_an_address_with_a_port_is_counted_without_it(proxies):
    proxies(1)
    assert client_address(request_from(PROXY, forwarded=f"{CLIENT}:5050")) == CLIENT


@pytest.mark.parametrize("garbage", ["not-an-ip", "1.2.3.4.5", "\x00", "<script>", "unknown", "9" * 5000])
def test_a_garbage_forwarded_entry_falls_back_to_the_peer(proxies, garbage):
    proxies(1)
    assert client_address(request_from(PROXY, forwarded=garbage)) == PROXY
    proxies("10.0.0.0/8")
    assert client_address(request_from(PROXY, forwarded=f"{CLIENT}, {garbage}")) == PROXY


def test_a_peer_that_is_not_an_address_gives_no_address(proxies):
    proxies(1)
    assert client_address(request_from("bogus\x00", forwarded=CLIENT)) == ""


def test_a_malformed_proxy_list_is_a_configuration_error(proxies):
    proxies("10.0.0.0/8, the-load-balancer")
    with pytest.raises(ImproperlyConfigured):
        client_address(request_from())


# The audit origin ------------------------------------------------------------------------------


def test_the_origin_drops_control_characters_and_bounds_the_user_agent(proxies):
    origin = request_origin(request_from(CLIENT, HTTP_USER_AGENT="Mozilla\x00/5.0\r\n" + "x" * 1000))
    assert origin["channel"] == "web" and origin["ip"] == CLIENT
    assert origin["user_agent"].startswith("Mozilla/5.0x")
    assert len(origin["user_agent"]) == 300
    assert not any(ord(c) < 32 for c in origin["user_agent"])


def test_the_origin_of_a_peer_that_is_not_an_address_has_no_ip(proxies):
    assert request_origin(request_from("x" * 200))["ip"] == ""


@pytest.mark.django_db
def test_the_api_audits_the_peer_not_a_forwarded_for_header_it_does_not_trust(org, cycle, approved_chain, proxies):
    plan = submitted_plan(org, cycle, approved_chain)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=org.kabid.user).key}")
    response = client.post(plan_url(plan, "approve"), REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR="198.51.100.1",
                           HTTP_USER_AGENT="kinerja-cli\x00/1")
    assert response.status_code == 200
    origin = AuditEvent.objects.get(document_type="plan", document_id=plan.pk, action="approve").origin
    assert origin == {"channel": "api", "ip": CLIENT, "user_agent": "kinerja-cli/1"}


@pytest.mark.django_db
def test_the_api_audits_the_client_a_trusted_proxy_names(org, cycle, approved_chain, proxies):
    proxies(1)
    plan = submitted_plan(org, cycle, approved_chain)
    client = APIClient()
    client.force_authenticate(org.kabid.user)
    response = client.post(plan_url(plan, "approve"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.1, {CLIENT}")
    assert response.status_code == 200
    origin = AuditEvent.objects.get(document_type="plan", document_id=plan.pk, action="approve").origin
    assert origin["ip"] == CLIENT and origin["channel"] == "web"


# Throttles -------------------------------------------------------------------------------------


def test_the_api_throttle_identifies_the_client_by_the_same_address(proxies):
    proxies(1)
    request = request_from(PROXY, forwarded=f"198.51.100.1, {CLIENT}")
    assert ScopedRateThrottle().get_ident(request) == CLIENT


def test_every_api_throttle_counts_the_client_by_the_project_address():
    throttles = [throttle for route in api_routes() for throttle in route.view().get_throttles()]
    assert throttles, "the token endpoint at least is throttled"
    assert all(isinstance(throttle, ClientAddressIdent) for throttle in throttles)


@pytest.mark.django_db
def test_the_public_form_throttle_counts_the_real_client_behind_the_proxy(org, settings, proxies):
    proxies(1)
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS = "2/hour"
    cache.clear()
    link = public_link(org.hr, unit=org.division)

    def send(forwarded: str) -> int:
        return Client().post(f"/f/{link.token}/", {"rating": 4}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded).status_code

    with at(3, 10):
        # A flooder rotating made-up entries on the left is still counted by the address the proxy saw.
        assert [send(f"198.51.100.{n}, {CLIENT}") for n in range(3)] == [200, 200, 429]
        # Another client behind the same proxy is heard.
        assert send("203.0.113.99") == 200
    assert PublicFeedback.objects.count() == 3
    cache.clear()
