"""The Celery app: tasks are discovered in every installed app's tasks.py.

Each worker process also beats from a thread of its own (every HEARTBEAT_SECONDS): /health/
reads that beat. It used to be a task on the one queue, so a backlog behind a slow webhook
receiver delayed it past the health check's limit and showed a live worker as gone.
"""

import threading

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

from config import settings_module

# DJANGO_SETTINGS_MODULE when set; else development's, provisionally: config/wsgi.py and config/asgi.py,
# which import this package first, then put production's in its place (config/settings_module.py).
settings_module.use_default(settings_module.DEVELOPMENT, provisional=True)

app = Celery("kinerja")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_SECONDS = 30
_stop = threading.Event()


def beat_once(queues: list[str]) -> None:
    """The worker is alive: the last beat (any worker) and one per queue it consumes."""
    from django.core.cache import cache
    from django.utils import timezone

    now = timezone.now().isoformat()
    cache.set_many({"kinerja:worker-heartbeat": now, **{f"kinerja:worker-heartbeat:{queue}": now for queue in queues}}, 3600)


def _beat_forever(queues: list[str]) -> None:
    while not _stop.is_set():
        try:
            beat_once(queues)
        except Exception:  # noqa: BLE001 - the cache (Redis) may be down; the next beat tries again
            pass
        _stop.wait(HEARTBEAT_SECONDS)


@worker_ready.connect
def _start_heartbeat(sender=None, **kwargs):
    queues = sorted(queue.name for queue in sender.app.amqp.queues.consume_from.values()) if sender is not None else []
    threading.Thread(target=_beat_forever, args=(queues,), name="kinerja-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_heartbeat(**kwargs):
    _stop.set()
