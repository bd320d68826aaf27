#!/usr/bin/env python
"""Bench 4: plan transitions over HTTP through gunicorn under an open-loop load at rising rates,
beside a trivial authenticated GET of the same app (GET /api/v1/me/) as the floor; per rate the
achieved throughput and the p50/p99 latency, and the peak RSS of a web worker (bench 6 in part).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kinerja_bench .venv/bin/python bench/http.py

Each transition request is a real one: POST /api/v1/plans/<id>/submit/ by the plan's employee
(token authentication, as an API client would), each on a distinct plan made ready like bench 1's.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder leads sys.path, where its name would shadow the standard
# library's `http` (which Django and asyncio import): take the folder off first.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _HERE]

import argparse
import json
import math
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

from bench.load import Request, run, wait_until_listening  # noqa: E402
from bench.load_cpu import CpuMeter, database_name  # noqa: E402
from bench.rss import PeakRss  # noqa: E402
from bench.transitions import analyze, prepare, setup  # noqa: E402

HOST = "127.0.0.1"
WARMUP = 20  # transitions per worker before measuring: first requests import and connect


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def tokens_for(plan_ids: list[int]) -> dict[int, str]:
    """Each plan's employee's API token (what a client gets once from POST /api/v1/auth/token/;
    made directly here, as that endpoint is throttled per client and needs passwords)."""
    from rest_framework.authtoken.models import Token

    from processes.models import Plan

    users = dict(Plan.objects.filter(pk__in=plan_ids).values_list("pk", "employee__user_id"))
    existing = dict(Token.objects.filter(user_id__in=users.values()).values_list("user_id", "key"))
    Token.objects.bulk_create([Token(user_id=u, key=Token.generate_key()) for u in set(users.values()) - set(existing)])
    keys = dict(Token.objects.filter(user_id__in=users.values()).values_list("user_id", "key"))
    return {plan: keys[user] for plan, user in users.items()}


def start_server(port: int, args, log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{port}",
        "--workers", str(args.workers), "--worker-class", args.worker_class, "--threads", str(args.threads),
        "--timeout", "120", "--no-control-socket", "--error-logfile", str(log),
    ]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}  # DEBUG off there
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_listening(HOST, port)
    return server


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def submit(plan_id: int, token: str) -> Request:
    return Request("POST", f"/api/v1/plans/{plan_id}/submit/",
                   {"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"},
                   b"{}")


def me(token: str) -> Request:
    return Request("GET", "/api/v1/me/", {"Authorization": f"Token {token}", "Accept": "application/json"})


def print_phase(name: str, phase, cpu: CpuMeter) -> None:
    rate = f"{phase.offered_rate:g}"
    print(f"{name}_rate_{rate}_achieved_per_s {phase.achieved_rate:.1f}")
    print(f"{name}_rate_{rate}_p50_ms {phase.percentile_ms(50):.1f}")
    print(f"{name}_rate_{rate}_p99_ms {phase.percentile_ms(99):.1f}")
    failed = phase.sent - phase.ok  # answered with an error, or not answered in time
    print(f"{name}_rate_{rate}_failed {failed}")
    answered = max(len(phase.latencies), 1)
    print(f"{name}_rate_{rate}_worker_cpu_ms_per_req {cpu.workers * 1000 / answered:.1f}")
    print(f"{name}_rate_{rate}_db_cpu_ms_per_req {cpu.database_cpu * 1000 / answered:.1f}")
    print(f"{name}_rate_{rate}_load_tool_cpu_ms_per_req {cpu.load_tool * 1000 / answered:.1f}")
    if failed:
        detail = {**{str(s): c for s, c in phase.statuses.items() if not 200 <= s < 300}, **phase.errors}
        print(f"# {name} at {rate}/s, failures: {json.dumps(detail)}", file=sys.stderr)
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="25,50,100,150,200", help="requests per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (1 on SQLite)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class: sync or gthread")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--max-connections", type=int, default=256, help="the load tool's concurrent connections")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    setup()
    per_phase = [math.ceil(rate * args.seconds) for rate in rates]
    warmup = WARMUP * args.workers
    ready = prepare(sum(per_phase) + warmup, f"BH{int(time.time())}")
    analyze()  # statistics as a live database keeps them (see bench/transitions.py)
    if len(ready) < sum(per_phase) + warmup:
        sys.exit(f"only {len(ready)} ready plans for {sum(per_phase) + warmup} requests")
    tokens = tokens_for(ready)

    from django.db import connections

    connections.close_all()  # the server's workers are the only clients during the load
    database = database_name()
    port = free_port()
    handle, log = tempfile.mkstemp(prefix="bench-http-gunicorn-", suffix=".log")
    os.close(handle)
    print(f"# gunicorn: {args.workers} x {args.worker_class}, {args.threads} thread(s); log {log}", file=sys.stderr)
    server = start_server(port, args, Path(log))
    ok_submits: list[int] = []

    def count_submit(request: Request, status: int, body: bytes) -> None:
        if status == 200 and json.loads(body)["status"] == "submitted":
            ok_submits.append(int(request.path.split("/")[4]))

    try:
        with PeakRss(parent=server.pid, match=lambda cmdline: "gunicorn" in cmdline) as peak:
            run(HOST, port, [me(tokens[p]) for p in ready[:warmup]], rate=50)
            run(HOST, port, [submit(p, tokens[p]) for p in ready[:warmup]], rate=20, on_response=count_submit)
            queue = ready[warmup:]
            for rate, count in zip(rates, per_phase):
                with CpuMeter(server.pid, database) as cpu:
                    floor = run(HOST, port, [me(tokens[p]) for p in queue[:count]], rate,
                                max_connections=args.max_connections)
                print_phase("get_floor", floor, cpu)
                batch, queue = queue[:count], queue[count:]
                with CpuMeter(server.pid, database) as cpu:
                    phase = run(HOST, port, [submit(p, tokens[p]) for p in batch], rate,
                                max_connections=args.max_connections, on_response=count_submit)
                print_phase("transition", phase, cpu)
    finally:
        stop_server(server)

    from processes.models import Plan

    submitted = Plan.objects.filter(pk__in=ready, status=Plan.Status.SUBMITTED).count()
    print(f"web_worker_peak_rss_mb {peak.max_mb():.0f}")
    print(f"transition_ok_total {len(ok_submits)}")
    print(f"plans_submitted_total {submitted}")


if __name__ == "__main__":
    main()
