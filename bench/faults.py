#!/usr/bin/env python
"""Bench 7: the full stack under concurrency and faults, on services of its own.

Starts a PostgreSQL cluster and a redis-server of its own (free loopback ports, temporary
directories: stopping them stops nobody else's), gunicorn, a Celery worker, Celery beat (the
delivery sweep every few seconds: bench/faults_settings.py), a local SMTP sink and a webhook
receiver (bench/stack.py), then measures what the product promises and prints `name value` lines:

- 40 concurrent approve/return of one submitted plan over HTTP: the 200s, the 409s and the lost
  updates (the plan's version and audit trail must have moved once per 200);
- notifications, e-mails and webhooks each delivered once (received, lost, repeats by event id);
- recovery from a worker killed (SIGKILL) amid a batch, Redis down for --outage-seconds, a webhook
  receiver answering 500, an SMTP outage, and a PostgreSQL outage (the cluster stopped and
  started): per fault the items lost and the seconds to deliver everything after recovery, and
  the HTTP statuses seen meanwhile (a 500 is printed as a figure, never hidden);
- `verify_audit` over every event written.

    .venv/bin/python bench/faults.py --plans 40 --notifications 2000 --outage-seconds 20

The timings of retries are shortened to fit seconds (backoff base 1 s, cap 4 s; broker visibility
timeout, hand-over grace and stale delivery --retry-seconds): the product's logic, on the bench's clock.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ comes first on the path, where bench/http.py would shadow the standard
# library's http; the project's root takes its place.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import http.client  # noqa: E402

from bench.stack import (  # noqa: E402
    HOST,
    PostgresCluster,
    RedisServer,
    SmtpSink,
    WebhookReceiver,
    celery_queues,
    free_port,
    kill_group,
    start_beat,
    start_gunicorn,
    start_worker,
    stop_group,
)

EVENT = "cycle.opened"


def configure(database_url: str, redis_url: str, smtp_port: int, retry_seconds: int) -> dict:
    """The environment of this process and of every process of the stack."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.faults_settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-insecure-key-0123456789abcdef",
        "KINERJA_AUDIT_KEY": os.environ.get("KINERJA_AUDIT_KEY") or "bench-only-audit-key-0123456789abcdef",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": HOST,
        "DJANGO_EMAIL_PORT": str(smtp_port),
        "DJANGO_EMAIL_USE_TLS": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "KINERJA_DELIVERY_BACKOFF_BASE": "1",
        "KINERJA_DELIVERY_BACKOFF_CAP": "4",
        "KINERJA_DELIVERY_MAX_ATTEMPTS": "200",
        # What a crashed or cut-off piece leaves behind is taken up again after this long.
        "KINERJA_BROKER_VISIBILITY_TIMEOUT": str(retry_seconds),
        "KINERJA_HANDOVER_GRACE_SECONDS": str(retry_seconds),
        "KINERJA_DELIVERY_STALE_SECONDS": str(retry_seconds),
        "KINERJA_WEBHOOK_TIMEOUT": "5",
        "KINERJA_AUTH_THROTTLE": "1000/min",
    })
    return dict(os.environ)


# HTTP -------------------------------------------------------------------------------------------


class Client:
    """Blocking HTTP/1.1 requests to gunicorn; every answer's status is tallied per phase."""

    def __init__(self, port: int):
        self.port = port
        self.statuses: Counter = Counter()
        self.html_errors = 0
        self.lock = threading.Lock()

    def call(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request(method, path, body=json.dumps(body or {}).encode() if method == "POST" else None, headers=headers)
            response = connection.getresponse()
            status, content = response.status, response.read()
            html = "html" in (response.getheader("Content-Type") or "")
        except OSError:
            status, content, html = 0, b"", False  # no answer at all
        finally:
            connection.close()
        with self.lock:
            self.statuses[status] += 1
            self.html_errors += html and status >= 500
        try:
            return status, json.loads(content or b"{}")
        except ValueError:
            return status, {}

    def take(self) -> tuple[Counter, int]:
        with self.lock:
            taken, html = self.statuses, self.html_errors
            self.statuses, self.html_errors = Counter(), 0
        return taken, html


# Data ------------------------------------------------------------------------------------------


def prepare(plans: int, prefix: str, receiver_url: str) -> dict:
    """A synthetic organisation (bench/transitions.py) with ``plans`` plans ready to submit,
    everyone with an e-mail address, API tokens, and one webhook endpoint for every event. The
    preparation's own notifications are marked handed over: only what the phases write counts."""
    from django.contrib.auth import get_user_model
    from django.db.models import F, Value
    from django.db.models.functions import Concat
    from django.utils import timezone

    from accounts.tokens import tokens_issue_many
    from bench.transitions import analyze
    from bench.transitions import prepare as prepare_plans
    from notifications.models import Notification
    from notifications.services import webhook_register
    from processes.models import Plan

    ready = prepare_plans(plans, prefix)
    analyze()
    User = get_user_model()
    users = User.objects.filter(username__startswith=prefix.lower()).exclude(username__endswith="-hr")
    users.update(email=Concat(F("username"), Value("@example.go.id")))
    Notification.objects.update(handed_over_at=timezone.now())
    webhook_register(actor=None, url=receiver_url, events=[])
    plan_rows = list(Plan.objects.filter(pk__in=ready).values_list("pk", "employee__user_id", "member__rater__user_id"))
    people = {u for _, employee, rater in plan_rows for u in (employee, rater)}
    login = User.objects.get(pk=plan_rows[0][1])
    login.set_password("bench-faults-12345")
    login.save(update_fields=["password"])
    # After the password: a token ends when its user's password changes.
    tokens = tokens_issue_many(users=User.objects.filter(pk__in=people))
    return {
        "plans": [(pk, tokens[employee], tokens[rater]) for pk, employee, rater in plan_rows],
        "recipients": list(users.order_by("pk").values_list("pk", flat=True)),
        "login": login.username,
        "first_notification": (Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1,
    }


def notify(recipients: list[int], count: int, phase: str, chunk: int = 100) -> list[int]:
    """``count`` notifications round the recipients, written and handed over as the product does
    (notify_bulk in a transaction per chunk, published after its commit); returns their ids."""
    from django.db import transaction

    from notifications.services import notify_bulk
    from workflow.flows import Notice

    ids: list[int] = []
    for start in range(0, count, chunk):
        with transaction.atomic():
            rows = notify_bulk((Notice(recipients[i % len(recipients)], EVENT, {"year": 2026, "phase": phase}), "", None)
                               for i in range(start, min(start + chunk, count)))
        ids += [row.pk for row in rows]
    return ids


# Delivery accounting: by event id ("kinerja-<notification>-<delivery>"), received or not ----------


def notification_of(event_id: str) -> int:
    return int(event_id.split("-")[1])


class Arrivals:
    def __init__(self, sink: SmtpSink, receiver: WebhookReceiver):
        self.sink, self.receiver = sink, receiver

    def counts(self) -> dict[str, Counter]:
        with self.receiver.lock:
            webhooks = Counter(self.receiver.accepted)
        # A Message-ID is "<event id@kinerja>"; a webhook carries the event id itself.
        emails = Counter()
        for message_id, count in self.sink.message_ids().items():
            emails[message_id.split("@")[0]] += count
        return {"email": emails, "webhook": webhooks}

    def missing(self, ids: set[int]) -> dict[str, int]:
        """Per channel, how many of these notifications have not arrived."""
        return {channel: len(ids - {notification_of(e) for e in got if e.startswith("kinerja-")})
                for channel, got in self.counts().items()}

    def wait(self, ids: list[int], timeout: float) -> float | None:
        """Seconds until every one of ``ids`` arrived by e-mail and by webhook (None: timed out)."""
        wanted, started = set(ids), time.time()
        while time.time() - started < timeout:
            if not any(self.missing(wanted).values()):
                return time.time() - started
            time.sleep(0.2)
        return None

    def report(self, phase: str, ids: list[int], after_recovery: float | None) -> dict[str, int]:
        missing = self.missing(set(ids))
        print(f"{phase}_notifications {len(ids)}")
        for channel, lost in missing.items():
            print(f"{phase}_{channel}_lost {lost}")
        print(f"{phase}_seconds_to_deliver_after_recovery {after_recovery:.1f}" if after_recovery is not None
              else f"{phase}_seconds_to_deliver_after_recovery timeout")
        sys.stdout.flush()
        return missing


def print_statuses(phase: str, client: Client) -> None:
    statuses, html = client.take()
    for status in sorted(statuses):
        print(f"{phase}_http_status_{status or 'none'} {statuses[status]}")
    print(f"http_500_during_{phase} {statuses.get(500, 0)}")
    if html:
        print(f"{phase}_http_5xx_html_pages {html}")


# The phases ------------------------------------------------------------------------------------


def race(client: Client, plan: tuple[int, str, str], requests: int) -> None:
    """The employee submits; then ``requests`` approve or return it at the same instant."""
    from django.db import connections

    from processes.models import Plan
    from workflow.models import AuditEvent

    plan_id, employee_token, rater_token = plan
    status, _ = client.call("POST", f"/api/v1/plans/{plan_id}/submit/", employee_token)
    assert status == 200, f"submit answered {status}"
    client.take()
    connections.close_all()
    version = Plan.objects.get(pk=plan_id).version
    events = AuditEvent.objects.filter(document_type="plan", document_id=plan_id).count()
    barrier = threading.Barrier(requests)
    answers: list[tuple[str, int, dict]] = []

    def one(i: int) -> None:
        action = "approve" if i % 2 else "return"
        barrier.wait()
        status, body = client.call("POST", f"/api/v1/plans/{plan_id}/{action}/", rater_token, {"comment": f"race {i}"})
        answers.append((action, status, body))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok = [a for a in answers if a[1] == 200]
    plan_row = Plan.objects.get(pk=plan_id)
    moved = plan_row.version - version
    written = AuditEvent.objects.filter(document_type="plan", document_id=plan_id).count() - events
    final = {"approve": "approved", "return": "returned"}
    # A lost update: a 200 whose change is not in the plan (version, audit, final state).
    lost = abs(len(ok) - moved) + abs(len(ok) - written) + sum(1 for action, _, _ in ok[-1:] if final[action] != plan_row.status)
    statuses = Counter(status for _, status, _ in answers)
    print(f"race_requests {requests}")
    print(f"race_http_200 {statuses.get(200, 0)}")
    print(f"race_http_409 {statuses.get(409, 0)}")
    print(f"race_http_other {requests - statuses.get(200, 0) - statuses.get(409, 0)}")
    print(f"race_lost_updates {lost}")
    print_statuses("race", client)


def actions_meanwhile(client: Client, plans: list, stop: threading.Event, login: str | None = None) -> threading.Thread:
    """While a fault lasts: submit one plan a second through the API, read /me/, and log in."""

    def loop() -> None:
        queue = list(plans)
        while not stop.is_set():
            if queue:
                plan_id, token, _ = queue.pop()
                client.call("POST", f"/api/v1/plans/{plan_id}/submit/", token)
                client.call("GET", "/api/v1/me/", token)
            if login:
                client.call("POST", "/api/v1/auth/token/", body={"username": login, "password": "bench-faults-12345"})
            stop.wait(1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=40, help="plans ready to submit (the race takes one, faults the rest)")
    parser.add_argument("--race-requests", type=int, default=40)
    parser.add_argument("--notifications", type=int, default=2000, help="per phase")
    parser.add_argument("--outage-seconds", type=float, default=20)
    parser.add_argument("--skip-postgres-outage", action="store_true")
    parser.add_argument("--retry-seconds", type=int, default=8,
                        help="broker visibility timeout, hand-over grace and stale delivery (production: 3600, 300, 900)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for a phase's deliveries")
    parser.add_argument("--workdir", default=None, help="where the logs go (default: a temporary directory)")
    args = parser.parse_args()
    # Stopped with SIGTERM (a timeout), still stop every service it started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    work = Path(args.workdir or tempfile.mkdtemp(prefix="kinerja-bench-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# logs in {work}", file=sys.stderr)
    sink = SmtpSink(record=work / "smtp-message-ids")  # forked before Django and before any thread
    receiver = WebhookReceiver()
    postgres = PostgresCluster().create()
    redis_server = RedisServer().start()
    processes: dict[str, object] = {}
    try:
        env = configure(postgres.url, redis_server.url(0), sink.port, args.retry_seconds)
        started = time.perf_counter()
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        data = prepare(args.plans, f"BF{int(time.time())}", receiver.url)
        connections.close_all()
        import redis

        redis.Redis.from_url(redis_server.url(0)).flushdb()  # the preparation's queued notifications
        print(f"# prepared in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        queues = celery_queues()
        port = free_port()
        processes["web"] = start_gunicorn(env, port, args.web_workers, work / "gunicorn.log")
        processes["worker"] = start_worker(env, args.concurrency, work / "worker.log", name="faults", queues=queues)
        processes["beat"] = start_beat(env, work / "beat.log", work / "beat-schedule")
        client, arrivals = Client(port), Arrivals(sink, receiver)
        spare = data["plans"][1:]
        all_ids: list[int] = []

        race(client, data["plans"][0], args.race_requests)

        # Baseline: nothing fails.
        ids = notify(data["recipients"], args.notifications, "baseline")
        all_ids += ids
        arrivals.report("baseline", ids, arrivals.wait(ids, args.timeout))

        # A worker killed (SIGKILL, the whole process group) while it delivers a batch.
        before = sum(sink.message_ids().values())
        ids = notify(data["recipients"], args.notifications, "worker_kill")
        all_ids += ids
        deadline = time.time() + args.timeout
        while sum(sink.message_ids().values()) == before and time.time() < deadline:
            time.sleep(0.02)
        delivered_when_killed = len(set(ids)) * 2 - sum(arrivals.missing(set(ids)).values())
        kill_group(processes["worker"])
        print(f"worker_kill_items_delivered_before_kill {delivered_when_killed}")
        print(f"worker_kill_items {len(ids) * 2}")
        processes["worker"] = start_worker(env, args.concurrency, work / "worker-2.log", name="faults2", queues=queues)
        arrivals.report("worker_kill", ids, arrivals.wait(ids, args.timeout))

        # Redis down: the API keeps working, the outbox waits in PostgreSQL, the sweep hands it over.
        redis_server.stop()
        stop = threading.Event()
        meanwhile = actions_meanwhile(client, spare[:int(args.outage_seconds) + 1], stop, login=data["login"])
        spare = spare[int(args.outage_seconds) + 1:]
        down_at = time.time()
        ids = notify(data["recipients"], args.notifications, "redis_outage")
        all_ids += ids
        time.sleep(max(0.0, args.outage_seconds - (time.time() - down_at)))
        stop.set()
        meanwhile.join()
        print(f"redis_outage_seconds {time.time() - down_at:.1f}")
        print_statuses("redis_outage", client)
        redis_server.start()
        for name in ("worker", "beat"):
            print(f"redis_outage_{name}_survived {int(processes[name].poll() is None)}")
        if processes["beat"].poll() is not None:
            processes["beat"] = start_beat(env, work / "beat-2.log", work / "beat-schedule")
        if processes["worker"].poll() is not None:
            processes["worker"] = start_worker(env, args.concurrency, work / "worker-3.log", name="faults3", queues=queues)
        arrivals.report("redis_outage", ids, arrivals.wait(ids, args.timeout))

        # A webhook receiver that answers 500, then recovers; an SMTP server out of service.
        for phase, fail, recover in (
            ("webhook_failing", lambda: setattr(receiver, "failing", True), lambda: setattr(receiver, "failing", False)),
            ("smtp_outage", lambda: setattr(sink.down, "value", 1), lambda: setattr(sink.down, "value", 0)),
        ):
            fail()
            ids = notify(data["recipients"], args.notifications, phase)
            all_ids += ids
            time.sleep(args.outage_seconds)
            recover()
            arrivals.report(phase, ids, arrivals.wait(ids, args.timeout))
        print(f"webhook_failing_answers_500 {receiver.refused}")

        # PostgreSQL stopped and started: in flight, deliveries; meanwhile, API requests.
        if not args.skip_postgres_outage:
            ids = notify(data["recipients"], args.notifications, "postgres_outage")
            all_ids += ids
            connections.close_all()
            client.take()
            postgres.stop()
            down_at = time.time()
            stop = threading.Event()
            meanwhile = actions_meanwhile(client, spare[:int(args.outage_seconds) + 1], stop)
            spare = spare[int(args.outage_seconds) + 1:]
            time.sleep(args.outage_seconds)
            stop.set()
            meanwhile.join()
            print_statuses("postgres_outage", client)
            postgres.start()
            print(f"postgres_outage_seconds {time.time() - down_at:.1f}")
            # The first requests after the restart meet the web workers' old connections.
            token = data["plans"][0][1]
            for _ in range(args.web_workers * 3):
                client.call("GET", "/api/v1/me/", token)
            print_statuses("postgres_restart", client)
            arrivals.report("postgres_outage", ids, arrivals.wait(ids, args.timeout))
        report_totals(arrivals, all_ids, data["first_notification"])
        print_statuses("end", client)
    finally:
        for process in processes.values():
            stop_group(process)
        receiver.shutdown()
        sink.stop()
        redis_server.remove()
        postgres.remove()


def report_totals(arrivals: Arrivals, bench_ids: list[int], first_notification: int) -> None:
    """Over every notification written after the preparation (the phases' and the API's): each
    in the database, each e-mail and webhook arrived, no event id arrived for nothing, and how
    often an id arrived again (a worker killed between sending and committing may resend: the
    receiver tells by the event id)."""
    from django.core.management import call_command
    from django.db import connections

    from notifications.models import Delivery, Notification

    connections.close_all()
    written = set(Notification.objects.filter(pk__gte=first_notification).values_list("pk", flat=True))
    print(f"notifications_written {len(written)}")
    print(f"notifications_in_app_missing {len(set(bench_ids) - written)}")
    expected = {
        channel: set(Delivery.objects.filter(notification_id__in=written, channel=channel).values_list("notification_id", "pk"))
        for channel in ("email", "webhook")
    }
    for channel, got in arrivals.counts().items():
        ids = {f"kinerja-{n}-{d}" for n, d in expected[channel]}
        notifications = {n for n, _ in expected[channel]}
        arrived = {e for e in got if e in ids}
        print(f"{channel}_deliveries {len(ids)}")
        print(f"{channel}_received {len(arrived)}")
        print(f"{channel}_lost {len(ids - arrived) + len(written - notifications)}")
        print(f"{channel}_unexpected_ids {len(set(got) - ids)}")
        print(f"{channel}_duplicates {sum(1 for n in Counter(n for n, _ in expected[channel]).values() if n > 1)}")
        print(f"{channel}_repeats_same_event_id {sum(count - 1 for count in got.values())}")
    failed = Delivery.objects.filter(notification_id__in=written, status=Delivery.Status.FAILED).count()
    print(f"deliveries_failed {failed}")
    from io import StringIO

    out = StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=out)
        verified = int(out.getvalue().split()[1])
        print(f"audit_events_verified {verified}")
        print("audit_verify_ok 1")
    except Exception as error:  # noqa: BLE001 - the figure says it failed; the output says why
        print(f"# verify_audit: {error} {out.getvalue()[-2000:]}", file=sys.stderr)
        print("audit_verify_ok 0")


if __name__ == "__main__":
    main()
