"""gunicorn's stamp of when a request entered its worker's queue, for the request deadline
(config/middleware.py).

A gthread worker's main thread accepts every connection at once and queues it for its thread
pool; under overload the wait is in that queue, so the time of queueing is known here and goes
to the application as the ``X-Kinerja-Queued-Since`` header (epoch seconds). A sync worker
accepts only when it is free: its wait is in the kernel's listen backlog, which no one can time
but a front proxy (``X-Request-Start``); there this does nothing.

Installed by config/gunicorn.conf.py (``post_worker_init``). It wraps two methods of gunicorn's
threaded worker; if a gunicorn version lacks them the worker runs unstamped.
"""

from __future__ import annotations

import time

HEADER = "X-KINERJA-QUEUED-SINCE"  # gunicorn keeps header names upper-case


def install(worker) -> bool:
    """Stamp each request of ``worker`` with the time its connection was queued; True if installed."""
    enqueue, handle_request = getattr(worker, "enqueue_req", None), getattr(worker, "handle_request", None)
    if enqueue is None or handle_request is None:
        return False

    def enqueue_req(conn):
        conn.kinerja_queued_since = time.time()  # also for a kept-alive connection's next request
        return enqueue(conn)

    def stamped_handle_request(req, conn):
        # A client's own header of that name is dropped: the stamp is the worker's alone.
        req.headers = [(name, value) for name, value in req.headers if name.upper() != HEADER]
        since = getattr(conn, "kinerja_queued_since", None)
        if since is not None:
            req.headers.append((HEADER, f"{since:.6f}"))
        return handle_request(req, conn)

    worker.enqueue_req = enqueue_req
    worker.handle_request = stamped_handle_request
    return True
