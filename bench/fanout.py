#!/usr/bin/env python
"""Bench 5: notification fan-out through a real Celery worker and Redis, e-mail over SMTP.

Builds a synthetic organisation whose people read their notifications in-app and by e-mail,
starts a local SMTP sink and a Celery worker (production settings, broker on Redis), then times
the product's path: notify_bulk in transactions of KINERJA_BULK_CHUNK_SIZE (the outbox is
handed to the broker after each commit), the worker creating the deliveries and sending them,
until every e-mail delivery is sent. Prints progress lines and plain `name value` figures,
with the worker's peak RSS (bench/rss.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kinerja_bench_c \\
        .venv/bin/python bench/fanout.py --notifications 100000

REDIS_URL (default redis://127.0.0.1:6379/5) must name a database number of the benchmark's
own: it is emptied at the start (the queue of an aborted run would skew the figures).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ comes first on the path, where a module (bench/http.py) would shadow
# the standard library's; the project's root takes its place.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.stack import SmtpSink, start_worker, stop_group  # noqa: E402


def configure(redis_url: str, smtp_port: int) -> dict:
    """The environment of this process and of the worker: the product's production settings,
    with the broker and the cache on Redis and mail to the local sink (read at django.setup())."""
    values = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(smtp_port),
        "DJANGO_EMAIL_USE_TLS": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    os.environ.update(values)
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-insecure-key-0123456789abcdef")
    os.environ.setdefault("KINERJA_AUDIT_KEY", "bench-only-audit-key-0123456789abcdef")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    return dict(os.environ)


# CPU accounting: what the fan-out costs, whatever else the machine runs meanwhile -------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU of each process so far (from /proc)."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return seconds


def cpu_parts(worker: int, sink: int) -> dict[str, dict[int, float]]:
    """PostgreSQL's share is left out: Celery closes the database connection after each task,
    so the server processes that did the work are gone before they can be read."""
    from bench.rss import children

    return {"worker": cpu_seconds([worker, *children(worker)]), "smtp_sink": cpu_seconds([sink]),
            "publisher": cpu_seconds([os.getpid()])}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


# The run -------------------------------------------------------------------------------------------


def prepare(count: int, prefix: str) -> list[int]:
    """A synthetic organisation of ``count`` people with an e-mail address who keep e-mail on
    (in-app cannot be turned off); returns their user ids."""
    from django.contrib.auth import get_user_model
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from notifications.models import NotificationPreference
    from org.models import Employee
    from org.synthetic import build, plan_organisation

    User = get_user_model()
    build(plan_organisation(count, prefix=prefix), prefix=prefix, first_k=Employee.objects.count())
    users = User.objects.filter(username__startswith=prefix.lower())
    users.update(email=Concat(F("username"), Value("@example.go.id")))
    ids = list(users.order_by("pk").values_list("pk", flat=True)[:count])
    NotificationPreference.objects.bulk_create([NotificationPreference(user_id=pk, email=True) for pk in ids],
                                               batch_size=5000)
    return ids


def notify(user_ids: list[int], chunk: int) -> tuple[int, int]:
    """As the product fans out (opening a cycle): notify_bulk inside the transaction of each
    chunk, handed over to the broker after its commit. Returns the first and last ids."""
    from django.db import transaction

    from notifications.services import notify_bulk
    from workflow.flows import Notice

    first = last = None
    for start in range(0, len(user_ids), chunk):
        with transaction.atomic():
            rows = notify_bulk((Notice(pk, "cycle.opened", {"year": 2026}), "", None) for pk in user_ids[start:start + chunk])
        first = rows[0].pk if first is None else first
        last = rows[-1].pk
    return first, last


def progress(first: int, last: int) -> dict[str, int]:
    from django.db.models import Count, Q

    from notifications.models import Delivery, Notification

    handed = Notification.objects.filter(pk__range=(first, last), handed_over_at__isnull=False).count()
    counts = Delivery.objects.filter(notification__pk__range=(first, last)).aggregate(
        deliveries=Count("pk"), sent=Count("pk", filter=Q(status="sent")), failed=Count("pk", filter=Q(status="failed")))
    return {"handed_over": handed, **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (the machine has 2 cores)")
    parser.add_argument("--chunk", type=int, default=1000, help="notifications per transaction (KINERJA_BULK_CHUNK_SIZE)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for every delivery")
    parser.add_argument("--log", default=str(ROOT / "var" / "bench-fanout-worker.log"))
    args = parser.parse_args()

    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5"
    if urlparse(redis_url).path.strip("/") in ("", "0"):
        raise SystemExit("REDIS_URL must name a Redis database of the benchmark's own (not 0): it is emptied")
    sink = SmtpSink()  # before Django: the sink's forked process needs none of it
    received, duplicates = sink.received, sink.duplicates
    env = configure(redis_url, sink.port)

    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from bench.rss import PeakRss

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(redis_url).flushdb()
    prefix = f"FO{int(time.time())}"
    started = time.perf_counter()
    user_ids = prepare(args.notifications, prefix)
    print(f"prepared {len(user_ids)} recipients (in-app + e-mail) in {time.perf_counter() - started:.1f}s", flush=True)

    log = Path(args.log)
    log.parent.mkdir(parents=True, exist_ok=True)
    worker = start_worker(env, args.concurrency, log, name="fanout")
    try:
        with PeakRss(parent=worker.pid, match=lambda cmd: "celery" in cmd, include_parent=True) as peak:
            cpu_before = cpu_parts(worker.pid, sink.pid)
            t0 = time.time()
            first, last = notify(user_ids, args.chunk)
            created = time.time() - t0
            print(f"created and handed over {len(user_ids)} notifications in {created:.1f}s", flush=True)
            state = progress(first, last)
            while state["sent"] + state["failed"] < len(user_ids):
                if worker.poll() is not None:
                    raise SystemExit(f"the worker died:\n{log.read_text()[-3000:]}")
                if time.time() - t0 > args.timeout:
                    raise SystemExit(f"timed out after {args.timeout}s: {state}")
                time.sleep(2)
                state = progress(first, last)
                print(f"progress t={time.time() - t0:.0f}s handed_over={state['handed_over']} "
                      f"deliveries={state['deliveries']} sent={state['sent']} failed={state['failed']} "
                      f"smtp={received.value}", flush=True)
            cpu_after = cpu_parts(worker.pid, sink.pid)
    finally:
        stop_group(worker)
        sink.stop()

    from django.db.models import Max

    from notifications.models import Delivery, DeliveryAttempt

    done = Delivery.objects.filter(notification__pk__range=(first, last)).aggregate(at=Max("sent_at"))["at"].timestamp()
    seconds = done - t0  # to the last delivery's sent_at (same clock), not to the last poll
    attempts = DeliveryAttempt.objects.filter(delivery__notification__pk__range=(first, last)).count()
    print(f"fanout_notifications {last - first + 1}")
    print(f"fanout_deliveries {state['deliveries']}")
    print(f"fanout_deliveries_sent {state['sent']}")
    print(f"fanout_deliveries_failed {state['failed']}")
    print(f"fanout_delivery_attempts {attempts}")
    print(f"fanout_smtp_messages {received.value}")
    print(f"fanout_smtp_duplicates {duplicates.value}")
    print(f"fanout_create_seconds {created:.1f}")
    print(f"fanout_seconds {seconds:.1f}")
    print(f"fanout_deliveries_per_s {state['sent'] / seconds:.0f}")
    print(f"celery_worker_peak_rss_mb {peak.max_mb():.0f}")
    # CPU seconds spent by each Python part (the publisher includes this script's polling): on a
    # busy machine the wall time says little, these say what the work costs wherever it runs.
    cpu = {part: cpu_delta(cpu_before[part], cpu_after[part]) for part in cpu_before}
    for part, spent in cpu.items():
        print(f"fanout_cpu_seconds_{part} {spent:.1f}")
    print(f"fanout_cpu_ms_per_delivery_without_postgres {1000 * sum(cpu.values()) / max(state['sent'], 1):.2f}")


if __name__ == "__main__":
    main()
