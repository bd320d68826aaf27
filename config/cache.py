"""The Redis cache, optional for the web: while Redis is unreachable every cache operation answers
as an empty cache would, and the request goes on.

What the project keeps in the cache is a convenience, never a record: the API's and the public
form's throttle counts (a request is allowed when they cannot be read), a kept count of HR's
lists (counted again), the webhook endpoints (read from the database), the progress refresh's
lock (no refresh queued: the beat refreshes later) and the worker's heartbeat (/health/ says so).
So a Redis outage must not answer 500: the errors of a lost connection are caught here, a warning
is logged, and for ``DOWN_SECONDS`` (OPTIONS, default 5) the process does not try Redis again, so
that a Redis that hangs rather than refuses costs one socket timeout per process per period, not
one per cache call. Errors that are not about the connection (a wrong type, a bad key) still raise.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
DEFAULT_DOWN_SECONDS = 5.0


class DegradingRedisCache(RedisCache):
    """Django's RedisCache whose operations, while Redis is unreachable, do nothing and return
    what a cache without the key would (``get`` its default, ``add`` False, ``incr`` the first
    count)."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.down_seconds = float(options.pop("DOWN_SECONDS", DEFAULT_DOWN_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0
        self._state_lock = threading.Lock()

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _went_down(self, operation: str, error: Exception) -> None:
        with self._state_lock:
            already_down = not self._available()
            self._down_until = time.monotonic() + self.down_seconds
        if not already_down:  # one warning per period and process, not one per call
            logger.warning("the cache (Redis) is unreachable (%s: %s); going on without it for %gs",
                           operation, error, self.down_seconds)

    def _guarded(self, operation: str, call, fallback):
        if not self._available():
            return fallback
        try:
            return call()
        except UNREACHABLE as error:
            self._went_down(operation, error)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # False: a caller using add() as a lock (the progress refresh) then does not go on to a
        # broker that is most likely down with the cache.
        return self._guarded("add", lambda: super(DegradingRedisCache, self).add(key, value, timeout, version), False)

    def get(self, key, default=None, version=None):
        return self._guarded("get", lambda: super(DegradingRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("set", lambda: super(DegradingRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("touch", lambda: super(DegradingRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        return self._guarded("delete", lambda: super(DegradingRedisCache, self).delete(key, version), False)

    def get_many(self, keys, version=None):
        return self._guarded("get_many", lambda: super(DegradingRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._guarded("has_key", lambda: super(DegradingRedisCache, self).has_key(key, version), False)

    def incr(self, key, delta=1, version=None):
        # The first count of a window: a throttle that cannot count allows the request.
        return self._guarded("incr", lambda: super(DegradingRedisCache, self).incr(key, delta, version), delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("set_many", lambda: super(DegradingRedisCache, self).set_many(data, timeout, version), list(data))

    def delete_many(self, keys, version=None):
        return self._guarded("delete_many", lambda: super(DegradingRedisCache, self).delete_many(keys, version), None)

    def clear(self):
        return self._guarded("clear", lambda: super(DegradingRedisCache, self).clear(), False)
