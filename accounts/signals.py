"""The hooks that tie sign-in events of Django and django-axes to the services here. Receivers,
because these events happen on every path alike (the login page, the admin, the shell, the
``changepassword`` command); each calls one service and holds no rule of its own."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from config.request_origin import request_origin

from .lockout import lockout_record
from .models import ApiToken
from .tokens import tokens_revoke_for_user


def _origin(request) -> dict:
    # A DRF request (the token endpoint) wraps Django's; the pages and the admin pass Django's.
    return request_origin(request, channel="api" if hasattr(request, "_request") else "web")


@receiver(user_locked_out, dispatch_uid="accounts.lockout_record")
def _record_lockout(sender, request, username=None, ip_address=None, **kwargs):
    lockout_record(request=request, username=username, address=ip_address or "", origin=_origin(request))


@receiver(user_logged_out, dispatch_uid="accounts.logout_revokes_tokens")
def _logout_revokes_sign_in_tokens(sender, request, user, **kwargs):
    """Logging out ends the person's API sign-ins too; a service account's tokens are not theirs."""
    if user is not None and user.pk is not None:
        tokens_revoke_for_user(user=user, reason=ApiToken.Reason.LOGOUT, actor=user, origin=_origin(request),
                               kinds=[ApiToken.Kind.LOGIN])


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.password_change_revokes_tokens")
def _password_change_revokes_tokens(sender, instance, created, **kwargs):
    """``set_password`` keeps the new password in ``_password`` until the save that stores it
    (Django calls the validators' ``password_changed`` from there the same way). The tokens would
    be refused anyway (their password fingerprint no longer matches); this marks them revoked, on
    their audit chains, so that the records tell the truth."""
    if not created and getattr(instance, "_password", None) is not None:
        tokens_revoke_for_user(user=instance, reason=ApiToken.Reason.PASSWORD_CHANGED, actor=None)
