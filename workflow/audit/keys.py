"""The audit key: what makes an event's hash a MAC that database access alone cannot forge.

``KINERJA_AUDIT_KEY`` (from the environment; production has no default) signs every new event,
anchor and tally. Each event records the id of the key that signed it (``key_id``: a fingerprint
of the key, so no id has to be kept in step with a key by hand); after a rotation the old key
moves to ``KINERJA_AUDIT_RETIRED_KEYS``, where it still verifies the events it signed. Anchors
and tallies are verified with the current key only: ``verify_audit --reanchor`` re-signs them
after a rotation, so that a retired (perhaps leaked) key can no longer vouch for a chain's end.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Events written before the key existed carry no key id; their hash is a plain sha256.
UNKEYED = ""


@dataclass(frozen=True)
class Key:
    id: str
    _mac: object  # an hmac object keyed with the secret, copied for each message

    def sign(self, message: bytes) -> str:
        mac = self._mac.copy()
        mac.update(message)
        return mac.hexdigest()


@dataclass(frozen=True)
class Keyring:
    current: Key
    retired: dict[str, Key]

    def for_event(self, key_id: str) -> Key | None:
        """The key an event names: the current one or a retired one (None if unknown)."""
        return self.current if key_id == self.current.id else self.retired.get(key_id)


def key_id_of(secret: str) -> str:
    """A key's public fingerprint: derived from the key, so it says nothing a MAC does not."""
    return hmac.new(secret.encode(), b"kinerja.audit.key-id", hashlib.sha256).hexdigest()[:12]


def _key(secret: str) -> Key:
    return Key(key_id_of(secret), hmac.new(secret.encode(), digestmod=hashlib.sha256))


@lru_cache(maxsize=4)
def _keyring(current: str, retired: tuple[str, ...]) -> Keyring:
    if not current:
        raise ImproperlyConfigured("KINERJA_AUDIT_KEY is not set: the audit trail cannot be signed.")
    old = {key.id: key for key in map(_key, (secret for secret in retired if secret and secret != current))}
    return Keyring(_key(current), old)


def keyring() -> Keyring:
    """The keys of the current settings (cached per value, so that a changed setting applies)."""
    return _keyring(getattr(settings, "KINERJA_AUDIT_KEY", ""), tuple(getattr(settings, "KINERJA_AUDIT_RETIRED_KEYS", ())))


def current() -> Key:
    return keyring().current
