"""API tokens: issued, recognised, revoked.

- A key is 256 random bits (``secrets.token_urlsafe``); the database keeps its SHA-256 only, so a
  copy of the table signs nobody in. The key is shown once, in the answer that issues it.
- A sign-in token (``POST /api/v1/auth/token/``) has the scope ``full`` and lives
  ``KINERJA_TOKEN_TTL`` seconds (12 hours by default) from its issue; asking again issues a new
  one. A service account's token has the account's scopes and the lifetime HR gives it.
- A token ends when it expires, when it is revoked (by its holder, a logout, HR, a password
  change, the deactivation of its service account), or when the user's password changes by any
  path at all: it carries a fingerprint of the password hash it was issued under, compared at each
  use, as Django's sessions do.

Issuing and revoking are recorded on the token's audit chain (``workflow.engine.record``).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workflow.engine import record

from .models import ApiToken
from .scopes import FULL, scope_text

KEY_BYTES = 32
KEY_MAX_LENGTH = 100  # a longer "key" is not one of ours: refused without hashing it


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the only time the key exists outside the client


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user) -> str:
    """Changes whenever the user's password (its stored hash) changes."""
    return hashlib.sha256(f"kinerja.api_token:{user.password}".encode()).hexdigest()


def sign_in_lifetime() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.KINERJA_TOKEN_TTL)


def token_issue(*, user, actor=None, kind: str = ApiToken.Kind.LOGIN, scopes: Iterable[str] = (FULL,),
                expires_at: datetime.datetime | None = None, origin: dict | None = None) -> IssuedToken:
    """A new token for ``user``: a sign-in token by default (issued to the user themselves)."""
    key = secrets.token_urlsafe(KEY_BYTES)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, kind=kind, key_hash=key_hash(key), prefix=key[:8], scopes=scope_text(scopes),
            password_fingerprint=password_fingerprint(user), created_at=now, expires_at=expires_at or now + sign_in_lifetime(),
        )
        record(token, "issue", actor=actor if actor is not None else user, origin=origin, created=True,
               data={"user": user.pk, "kind": token.kind, "scopes": sorted(token.scope_set), "expires_at": token.expires_at.isoformat()})
    return IssuedToken(token, key)


def token_for_key(key: str) -> ApiToken | None:
    """The unrevoked token of ``key`` with its user and the user's employee (one query), or None.
    Whether it still holds (expiry, the user, the password) is ``token_refusal``'s to say."""
    if not key or len(key) > KEY_MAX_LENGTH:
        return None
    try:
        return ApiToken.objects.select_related("user", "user__employee").get(key_hash=key_hash(key), revoked_at__isnull=True)
    except ApiToken.DoesNotExist:
        return None


def token_refusal(token: ApiToken, now: datetime.datetime | None = None) -> str | None:
    """Why a found token no longer signs its user in ("expired", "inactive", "password_changed"),
    or None when it does."""
    if token.expires_at <= (now or timezone.now()):
        return "expired"
    if not token.user.is_active:
        return "inactive"
    if not secrets.compare_digest(token.password_fingerprint, password_fingerprint(token.user)):
        return "password_changed"
    return None


def token_revoke(*, token: ApiToken, reason: str, actor, origin: dict | None = None) -> bool:
    """Revoke one token; False if it was revoked already."""
    if token.revoked_at is not None:
        return False

    def change(locked: ApiToken) -> dict:
        if locked.revoked_at is None:  # a concurrent revocation may have come first
            locked.revoked_at, locked.revoked_reason = timezone.now(), reason
            locked.save(update_fields=["revoked_at", "revoked_reason"])
        return {"reason": locked.revoked_reason}

    record(token, "revoke", actor=actor, origin=origin, change=change)
    token.revoked_at, token.revoked_reason = token.revoked_at or timezone.now(), token.revoked_reason or reason
    return True


def tokens_revoke_for_user(*, user, reason: str, actor, origin: dict | None = None,
                           kinds: Iterable[str] | None = None) -> int:
    """Revoke every live token of ``user`` (of the given kinds); how many were revoked."""
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by("pk")
    if kinds is not None:
        live = live.filter(kind__in=list(kinds))
    revoked = 0
    with transaction.atomic():
        for token in live:
            revoked += token_revoke(token=token, reason=reason, actor=actor, origin=origin)
    return revoked


def tokens_issue_many(*, users: Iterable, actor=None) -> dict[int, str]:
    """A sign-in token for each of ``users`` (a benchmark's or an import's preparation):
    ``{user id: key}``."""
    return {user.pk: token_issue(user=user, actor=actor).key for user in users}
