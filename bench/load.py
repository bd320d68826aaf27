"""An open-loop HTTP/1.1 load generator on asyncio streams (standard library only).

Requests leave on a fixed schedule (request i at t0 + i / rate), whatever the server does, and
each latency is measured from its *scheduled* send time: a server that falls behind shows up as
growing latency and a lower achieved rate, never as a politely slowed-down client (no
coordinated omission, unlike a closed-loop tool such as wrk). Connections are kept alive and
reused where the server allows it (gthread), reopened where it closes them (sync workers).
One process, a few hundred microseconds of CPU per request: light beside the server it loads.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Phase:
    """What one fixed-rate phase measured."""

    offered_rate: float
    seconds: float
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, of every answered request
    ok_latencies: list[float] = field(default_factory=list)  # seconds, of every 2xx answer
    elapsed: float = 0.0  # from the first scheduled send to the last answer (at least `seconds`)

    @property
    def ok(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300)

    @property
    def achieved_rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def goodput(self, client_timeout: float) -> float:
        """2xx answers that came within the client's timeout (counted from the scheduled send, so
        a wait for a free connection counts too), per second from the first send to the last
        answer: what the server sustained, never more than it answered (a backlog that drains
        after the phase does not count as the phase's throughput)."""
        good = sum(1 for latency in self.ok_latencies if latency <= client_timeout)
        return good / max(self.elapsed, self.seconds) if self.elapsed else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the answered requests' latencies, in ms."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
        return ordered[rank - 1] * 1000


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer, self.used = reader, writer, 0

    def close(self) -> None:
        self.writer.close()


class _Pool:
    """Idle keep-alive connections, at most `limit` open at once (waiting for one counts in the
    latency, as it would for a real client)."""

    def __init__(self, host: str, port: int, limit: int):
        self.host, self.port = host, port
        self.slots = asyncio.Semaphore(limit)
        self.idle: list[_Connection] = []

    async def open(self) -> _Connection:
        return _Connection(*await asyncio.open_connection(self.host, self.port))

    def close_all(self) -> None:
        while self.idle:
            self.idle.pop().close()


def _encode(request: Request, host: str) -> bytes:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(request.body)}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """(status, whether the server keeps the connection, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, status = status_line.split(" ", 2)[:2]
    headers = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:  # delimited by the close
        body = await reader.read()
        return int(status), False, body
    keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
    return int(status), keep, body


async def _exchange(pool: _Pool, payload: bytes, timeout: float) -> tuple[int, bytes]:
    async with pool.slots:
        for attempt in range(2):
            connection = pool.idle.pop() if pool.idle else await pool.open()
            reused = connection.used > 0
            try:
                connection.writer.write(payload)
                status, keep, body = await asyncio.wait_for(_read_response(connection.reader), timeout)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                connection.close()
                # The server may close an idle keep-alive connection just as we reuse it; it has
                # read nothing then, so sending again on a fresh one is safe (once).
                nothing_read = not getattr(error, "partial", b"")
                if reused and nothing_read and attempt == 0:
                    continue
                raise
            except BaseException:
                connection.close()
                raise
            connection.used += 1
            if keep:
                pool.idle.append(connection)
            else:
                connection.close()
            return status, body
    raise AssertionError("unreachable")


async def run_phase(host: str, port: int, requests: list[Request], rate: float, *, max_connections: int = 256,
                    timeout: float = 30.0, on_response=None) -> Phase:
    """Send ``requests`` at ``rate`` per second, open loop; ``on_response(request, status, body)``
    (optional) sees each answer, e.g. to check what the server did."""
    loop = asyncio.get_running_loop()
    pool = _Pool(host, port, max_connections)
    phase = Phase(offered_rate=rate, seconds=len(requests) / rate)
    authority = f"{host}:{port}"
    last_answer = 0.0

    async def one(request: Request, scheduled: float) -> None:
        nonlocal last_answer
        try:
            # The client's timeout runs from the scheduled send: waiting for a free connection
            # spends it too, and a request that runs out of it is abandoned, as a real client's is.
            left = max(scheduled + timeout - loop.time(), 0.001)
            status, body = await asyncio.wait_for(_exchange(pool, _encode(request, authority), timeout), left)
        except asyncio.TimeoutError:
            phase.errors["timeout"] = phase.errors.get("timeout", 0) + 1
            return
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            name = type(error).__name__
            phase.errors[name] = phase.errors.get(name, 0) + 1
            return
        answered = loop.time()
        last_answer = max(last_answer, answered)
        phase.latencies.append(answered - scheduled)
        if 200 <= status < 300:
            phase.ok_latencies.append(answered - scheduled)
        phase.statuses[status] = phase.statuses.get(status, 0) + 1
        if on_response is not None:
            on_response(request, status, body)

    tasks = []
    start = loop.time() + 0.05
    for i, request in enumerate(requests):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, scheduled)))
        phase.sent += 1
    await asyncio.gather(*tasks)
    pool.close_all()
    phase.elapsed = max(phase.seconds, last_answer - start)
    return phase


def run(host: str, port: int, requests: list[Request], rate: float, **options) -> Phase:
    return asyncio.run(run_phase(host, port, requests, rate, **options))


def wait_until_listening(host: str, port: int, seconds: float = 30.0) -> None:
    """Block until something accepts connections at host:port."""
    import socket

    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
