"""Where a webhook may go: public addresses only (unless KINERJA_WEBHOOK_ALLOW_PRIVATE), checked
when HR registers the URL and again when a delivery connects; and a bad event name is a 400."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from notifications import webhooks
from notifications.delivery import attempt
from notifications.models import Delivery, WebhookEndpoint
from notifications.services import forget_endpoints, materialise_deliveries, notify_bulk
from workflow.flows import Notice

from ..api.helpers import API
from ..conftest import client_for
from ..factories import WebhookEndpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_endpoints")]
WEBHOOKS = f"{API}/webhooks/"



@pytest.fixture
def public_only(settings):
    settings.KINERJA_WEBHOOK_ALLOW_PRIVATE = False


def resolving(monkeypatch, *answers: list[str]):
    """The resolver answers each lookup with the next list of addresses (the last one again)."""
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        addresses = answers[min(len(calls), len(answers) - 1)]
        calls.append(host)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)
    return calls


# At registration --------------------------------------------------------------------------------------

INTERNAL = [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.0.0.5/hook", "http://192.168.1.10/hook",
    "http://172.16.0.1/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook", "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://100.64.0.1/hook", "http://0.0.0.0/hook", "http://2130706433/hook",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_a_webhook_to_a_loopback_private_or_link_local_address_is_refused(org, public_only, url):
    response = client_for(org.hr).post(WEBHOOKS, {"url": url, "events": []}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_name_that_resolves_to_a_private_address_is_refused(org, public_only, monkeypatch):
    resolving(monkeypatch, ["10.1.2.3"])
    response = client_for(org.hr).post(WEBHOOKS, {"url": "https://intranet.simpeg.test/hook", "events": []}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["url"]


def test_a_name_that_resolves_to_a_public_and_a_private_address_is_refused(org, public_only, monkeypatch):
    resolving(monkeypatch, ["93.184.216.34", "127.0.0.1"])
    response = client_for(org.hr).post(WEBHOOKS, {"url": "https://mixed.simpeg.test/hook", "events": []}, format="json")
    assert response.status_code == 400


def test_a_public_address_is_accepted(org, public_only, monkeypatch):
    resolving(monkeypatch, ["93.184.216.34"])
    assert client_for(org.hr).post(WEBHOOKS, {"url": "https://simpeg.example.go.id/hook"}, format="json").status_code == 201


def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_when_sent(org, public_only, monkeypatch):
    def unknown(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", unknown)
    assert client_for(org.hr).post(WEBHOOKS, {"url": "https://baru.simpeg.test/hook"}, format="json").status_code == 201


def test_the_setting_allows_a_receiver_on_this_host(org, settings):
    settings.KINERJA_WEBHOOK_ALLOW_PRIVATE = True
    assert client_for(org.hr).post(WEBHOOKS, {"url": "http://127.0.0.1:8000/hook"}, format="json").status_code == 201


def test_the_page_refuses_an_internal_address_too(org, public_only):
    from django.test import Client

    client = Client()
    client.force_login(org.hr)
    response = client.post("/hr/webhooks/", {"action": "register", "url": "http://169.254.169.254/latest/"})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


# When a delivery connects --------------------------------------------------------------------------------


def delivery_to(org, url: str) -> Delivery:
    endpoint = WebhookEndpointFactory(url=url, unit=org.agency)
    forget_endpoints()
    (notice,) = notify_bulk([(Notice(org.kabid.user_id, "task.reminder", {"document": "SKP"}), "", None)])
    materialise_deliveries([notice.pk])
    return Delivery.objects.get(endpoint=endpoint)


def test_a_delivery_to_an_endpoint_that_now_resolves_to_a_private_address_is_not_sent(org, public_only, monkeypatch,
                                                                                         webhook_receiver):
    """Registered while its name resolved to a public address; by the time of the delivery it
    resolves to this host's receiver (DNS rebinding): the delivery never connects."""
    resolving(monkeypatch, ["93.184.216.34"], ["127.0.0.1"])
    port = webhook_receiver.server.server_port
    response = client_for(org.hr).post(WEBHOOKS, {"url": f"http://rebind.simpeg.test:{port}/kinerja-hook"}, format="json")
    assert response.status_code == 201
    (notice,) = notify_bulk([(Notice(org.kabid.user_id, "task.reminder", {"document": "SKP"}), "", None)])
    materialise_deliveries([notice.pk])
    delivery = Delivery.objects.get(endpoint_id=response.json()["id"])
    assert attempt(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert "not public" in delivery.last_error
    assert webhook_receiver.requests == []


def test_an_endpoint_stored_with_an_internal_address_is_not_called(org, public_only, webhook_receiver):
    """An endpoint registered while the setting allowed it (or written to the database directly)."""
    delivery = delivery_to(org, webhook_receiver.url)
    assert attempt(delivery.pk) == "retry"
    assert webhook_receiver.requests == []


def test_with_the_setting_the_receiver_on_this_host_is_called(org, webhook_receiver):
    delivery = delivery_to(org, webhook_receiver.url)
    assert attempt(delivery.pk) == "sent"
    assert len(webhook_receiver.requests) == 1


class _Redirecting(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_is_a_failed_delivery_never_followed(org, webhook_receiver):
    """A receiver must not send the server on to another address (an internal one) by a redirect."""
    _Redirecting.target = webhook_receiver.url
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        delivery = delivery_to(org, f"http://127.0.0.1:{server.server_port}/hook")
        assert attempt(delivery.pk) == "retry"
        assert webhook_receiver.requests == []
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True), ("127.0.0.1", False), ("10.0.0.1", False),
    ("172.31.255.255", False), ("192.168.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("::1", False), ("fe80::1", False), ("fc00::1", False), ("::ffff:10.0.0.1", False), ("224.0.0.1", False),
    ("255.255.255.255", False),
])
def test_which_addresses_are_public(address, public):
    assert webhooks.is_public(address) is public


# Event names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["plan.submitted\x00", "\x00", "plan\nsubmitted", "plan.submitted\x7f", "rencana.√"])
def test_an_event_name_with_a_nul_or_control_character_is_a_400_that_does_not_echo_it(org, name):
    response = client_for(org.hr).post(WEBHOOKS, {"url": "https://simpeg.test/hook", "events": [name]}, format="json")
    assert response.status_code == 400
    # On "events" (the service), or on the very item when the API's parser refuses a NUL in any body.
    assert all(key.startswith("events") for key in response.json()["errors"])
    assert name not in response.content.decode("unicode_escape", errors="replace")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("name", ["plan.submitted\x00", "plan\x1bsubmitted", "Plan.Submitted"])
def test_the_service_refuses_an_event_name_that_is_not_one_without_echoing_it(name):
    """HR's page reaches the service with whatever the form carried."""
    from django.core.exceptions import ValidationError

    from notifications.services import webhook_check

    with pytest.raises(ValidationError) as refused:
        webhook_check(url="https://simpeg.test/hook", events=["plan.submitted", name])
    assert list(refused.value.message_dict) == ["events"] and name not in str(refused.value)


def test_an_event_name_with_a_nul_is_a_400_with_an_idempotency_key_too(org):
    """PostgreSQL's jsonb refuses \\u0000: the name must reach neither the endpoint's row nor the
    stored idempotent answer (run with DATABASE_URL set to see it on PostgreSQL)."""
    response = client_for(org.hr).post(WEBHOOKS, {"url": "https://simpeg.test/hook", "events": ["plan.submitted\x00"]},
                                       format="json", HTTP_IDEMPOTENCY_KEY="nul-event")
    assert response.status_code == 400
