"""API tokens, service accounts and login lock-outs: the records of who may sign in and how.

Each has its own audit chain (``document_type``), written through ``workflow.engine.record``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scopes import scope_set


class ApiToken(models.Model):
    """A bearer token (``Authorization: Token <key>``). Only the SHA-256 of the key is stored: the
    key is shown once, when it is issued. A token ends when it expires, is revoked, or the user's
    password changes (``password_fingerprint``, as Django's sessions do)."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("sign-in")
        SERVICE = "service", _("service account")

    class Reason(models.TextChoices):
        OWNER = "owner", _("revoked by its holder")
        LOGOUT = "logout", _("logged out")
        PASSWORD_CHANGED = "password_changed", _("password changed")
        HR = "hr", _("revoked by HR or an administrator")
        DEACTIVATED = "deactivated", _("service account deactivated")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LOGIN)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key begins with"), max_length=8, editable=False)
    scopes = models.CharField(_("scopes"), max_length=100)
    password_fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("why revoked"), max_length=20, choices=Reason.choices, blank=True)

    document_type = "api_token"

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["login", "service"]), name="api_token_kind_valid"),
            models.CheckConstraint(
                condition=Q(revoked_reason__in=["", "owner", "logout", "password_changed", "hr", "deactivated"]),
                name="api_token_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def scope_set(self) -> frozenset[str]:
        return scope_set(self.scopes)

    def is_live(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


class ServiceAccount(models.Model):
    """An integration's account (a payroll or personnel system): a user that cannot sign in with
    a password, holds HR's role over ``unit`` (and every unit below it) and acts only through
    tokens limited to ``scopes`` (accounts/scopes.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account")
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey("org.Unit", verbose_name=_("scope"), on_delete=models.PROTECT, related_name="service_accounts")
    scopes = models.CharField(_("scopes"), max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)

    document_type = "service_account"

    class Meta:
        verbose_name = _("service account")
        verbose_name_plural = _("service accounts")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_set(self) -> frozenset[str]:
        return scope_set(self.scopes)


class LoginLockout(models.Model):
    """One lock-out of sign-in (django-axes counts the failures; this is the audited record of
    each time a limit was reached): of an account after too many wrong passwords for it, or of a
    client address after too many from it."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("account")
        ADDRESS = "address", _("client address")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip_address = models.CharField(_("client address"), max_length=45, blank=True)
    failures = models.PositiveIntegerField(_("failed attempts"), default=0)
    locked_at = models.DateTimeField(_("locked"), default=timezone.now)
    until = models.DateTimeField(_("locked until at most"))
    unlocked_at = models.DateTimeField(_("unlocked"), null=True, blank=True)
    unlocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    document_type = "login_lockout"

    class Meta:
        verbose_name = _("login lock-out")
        verbose_name_plural = _("login lock-outs")
        ordering = ["-locked_at"]
        indexes = [models.Index(fields=["kind", "username", "until"]), models.Index(fields=["kind", "ip_address", "until"])]
        constraints = [models.CheckConstraint(condition=Q(kind__in=["account", "address"]), name="login_lockout_kind_valid")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username if self.kind == self.Kind.ACCOUNT else self.ip_address}"

    def is_active(self, now=None) -> bool:
        return self.unlocked_at is None and self.until > (now or timezone.now())

