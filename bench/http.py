#!/usr/bin/env python
"""Bench 4: plan transitions over HTTP through gunicorn under an open-loop load at rising rates,
beside a trivial authenticated GET of the same app (GET /api/v1/me/) as the floor; per rate the
achieved throughput, the goodput (2xx within the client's timeout), the p50/p99 latency and the
requests shed (503), for each worker model in one run, and the peak RSS of a web worker (bench 6 in part).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kinerja_bench .venv/bin/python bench/http.py

Worker models (``--models``): ``sync2`` is two sync workers (the deployment before the worker
model), ``conf`` is config/gunicorn.conf.py (gthread, with the queue stamp that lets the request
deadline shed), ``cli`` the command line's ``--workers``/``--worker-class``/``--threads``.
Figures are named ``<model>_<name>_rate_<rate>_<figure>``.

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
    from django.contrib.auth import get_user_model

    from accounts.tokens import tokens_issue_many
    from processes.models import Plan

    users = dict(Plan.objects.filter(pk__in=plan_ids).values_list("pk", "employee__user_id"))
    keys = tokens_issue_many(users=get_user_model().objects.filter(pk__in=set(users.values())))
    return {plan: keys[user] for plan, user in users.items()}


MODELS = {
    "sync2": ["--workers", "2", "--worker-class", "sync"],
    "conf": ["-c", str(ROOT / "config" / "gunicorn.conf.py")],
}


def model_options(model: str, args) -> list[str]:
    if model == "cli":
        return ["--workers", str(args.workers), "--worker-class", args.worker_class, "--threads", str(args.threads)]
    return MODELS[model]


def start_server(port: int, options: list[str], log: Path) -> subprocess.Popen:
    # The command line's options win over the configuration file's (bind, log).
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application", *options, "--bind", f"{HOST}:{port}",
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


def print_phase(name: str, phase, cpu: CpuMeter, client_timeout: float) -> None:
    rate = f"{phase.offered_rate:g}"
    print(f"{name}_rate_{rate}_achieved_per_s {phase.achieved_rate:.1f}")
    print(f"{name}_rate_{rate}_goodput_per_s {phase.goodput(client_timeout):.1f}")
    print(f"{name}_rate_{rate}_shed {phase.statuses.get(503, 0)}")
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
    parser.add_argument("--rates", default="50,100,200", help="requests per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--models", default="sync2,conf", help="worker models to compare, comma-separated: sync2, conf, cli")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of the cli model (1 on SQLite)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class of the cli model: sync or gthread")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker of the cli model (gthread)")
    parser.add_argument("--max-connections", type=int, default=256, help="the load tool's concurrent connections")
    parser.add_argument("--client-timeout", type=float, default=10, help="seconds a client waits for an answer")
    parser.add_argument("--no-floor", action="store_true", help="transitions only, without the floor GET")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    models = args.models.split(",")

    setup()
    per_phase = [math.ceil(rate * args.seconds) for rate in rates]
    per_model = sum(per_phase) + WARMUP * 4
    ready = prepare(per_model * len(models), f"BH{int(time.time())}")
    analyze()  # statistics as a live database keeps them (see bench/transitions.py)
    if len(ready) < per_model * len(models):
        sys.exit(f"only {len(ready)} ready plans for {per_model * len(models)} requests")
    tokens = tokens_for(ready)

    from django.db import connections

    connections.close_all()  # the server's workers are the only clients during the load
    ok_submits: set[int] = set()
    for index, model in enumerate(models):
        plans = ready[index * per_model:(index + 1) * per_model]
        run_model(model, args, plans, tokens, rates, per_phase, ok_submits)
        connections.close_all()

    from processes.models import Plan

    submitted = Plan.objects.filter(pk__in=ready, status=Plan.Status.SUBMITTED).count()
    print(f"transition_ok_total {len(ok_submits)}")
    print(f"plans_submitted_total {submitted}")


def drain(plans: list[int], quiet: float = 3.0, limit: float = 180.0) -> None:
    """Wait until the server has stopped submitting ``plans`` (requests whose clients gave up may
    still be queued in it), so that one phase's backlog does not load the next."""
    from django.db import connections

    from processes.models import Plan

    deadline, last, still_since = time.monotonic() + limit, None, time.monotonic()
    while time.monotonic() < deadline:
        count = Plan.objects.filter(pk__in=plans, status=Plan.Status.SUBMITTED).count()
        if count != last:
            last, still_since = count, time.monotonic()
        elif time.monotonic() - still_since >= quiet:
            break
        time.sleep(0.5)
    connections.close_all()


def run_model(model: str, args, plans: list[int], tokens: dict[int, str], rates: list[float], per_phase: list[int],
              ok_submits: set[int]) -> None:
    """Start gunicorn as ``model`` has it, warm it up, load it at each rate; then how many plans it
    submitted without a 200 reaching the client (work done for a client that had given up)."""
    from processes.models import Plan

    database = database_name()
    port = free_port()
    handle, log = tempfile.mkstemp(prefix=f"bench-http-{model}-", suffix=".log")
    os.close(handle)
    options = model_options(model, args)
    print(f"# {model}: gunicorn {' '.join(options)}; log {log}", file=sys.stderr)
    server = start_server(port, options, Path(log))
    answered: set[int] = set()

    def count_submit(request: Request, status: int, body: bytes) -> None:
        if status == 200 and json.loads(body)["status"] == "submitted":
            answered.add(int(request.path.split("/")[4]))

    timeout = args.client_timeout
    try:
        with PeakRss(parent=server.pid, match=lambda cmdline: "gunicorn" in cmdline) as peak:
            warmup, queue = plans[:WARMUP * 4], plans[WARMUP * 4:]
            run(HOST, port, [me(tokens[p]) for p in warmup], rate=50)
            run(HOST, port, [submit(p, tokens[p]) for p in warmup], rate=20, on_response=count_submit)
            for rate, count in zip(rates, per_phase):
                if not args.no_floor:
                    with CpuMeter(server.pid, database) as cpu:
                        floor = run(HOST, port, [me(tokens[p]) for p in queue[:count]], rate,
                                    max_connections=args.max_connections, timeout=timeout)
                    print_phase(f"{model}_get_floor", floor, cpu, timeout)
                batch, queue = queue[:count], queue[count:]
                with CpuMeter(server.pid, database) as cpu:
                    phase = run(HOST, port, [submit(p, tokens[p]) for p in batch], rate,
                                max_connections=args.max_connections, timeout=timeout, on_response=count_submit)
                print_phase(f"{model}_transition", phase, cpu, timeout)
                drain(batch)
    finally:
        stop_server(server)
    submitted = Plan.objects.filter(pk__in=plans, status=Plan.Status.SUBMITTED).count()
    print(f"{model}_web_worker_peak_rss_mb {peak.max_mb():.0f}")
    # Submitted, but the client got no 200 (it timed out): the work an overloaded server wastes.
    print(f"{model}_committed_unanswered {submitted - len(answered)}")
    ok_submits.update(answered)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
