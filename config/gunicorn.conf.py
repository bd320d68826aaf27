"""gunicorn's configuration: the worker model for about 100 requests per second on 2 cores.

    gunicorn config.wsgi -c config/gunicorn.conf.py

Threaded workers (gthread): a worker's main thread accepts every connection and queues it for
its threads, so the time a request waited is known (config/queue_stamp.py) and the request
deadline (KINERJA_REQUEST_DEADLINE_SECONDS, config/middleware.py) refuses, with a quick 503,
what waited longer than its client would; sync workers leave the wait in the kernel's backlog,
where only a front proxy's `X-Request-Start` shows it. Figures: bench/README.md, section 4.
Every value can be changed in the environment (or on the command line, which wins).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
# Two processes per core: one's waits on PostgreSQL overlap with another's work.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
# A few threads each, no more: a request is mostly CPU under the GIL, and more threads only
# share the same core and lengthen every request.
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# The listen queue: a burst waits here (and is timed by the proxy), it is not refused by the kernel.
backlog = int(os.environ.get("GUNICORN_BACKLOG", 2048))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))  # a worker stuck this long is restarted
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, not all at once): a slow leak stays small.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500


def post_worker_init(worker):
    from config import queue_stamp  # imported once the application (and sys.path) is loaded

    queue_stamp.install(worker)
