"""Tokens, service accounts and lock-outs in the admin: read-only rows, changed only through the
audited services, by the actions here (axes' own pages list its attempts and logs beside)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.request_origin import request_origin
from workflow.admin import ReadOnlyAdmin

from .lockout import login_unlock
from .models import ApiToken, LoginLockout, ServiceAccount
from .service_accounts import service_account_deactivate
from .tokens import token_revoke


class SuperuserActions:
    """The actions here change who may sign in: an administrator's (a superuser's) alone."""

    def has_administer_permission(self, request) -> bool:
        return request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(SuperuserActions, ReadOnlyAdmin):
    list_display = ["prefix", "user", "kind", "scopes", "created_at", "expires_at", "revoked_at", "revoked_reason"]
    list_filter = ["kind", "revoked_reason"]
    search_fields = ["user__username", "=prefix"]
    list_select_related = ["user"]
    exclude = ["key_hash", "password_fingerprint"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected tokens"), permissions=["administer"])
    def revoke(self, request, queryset):
        revoked = sum(token_revoke(token=token, reason=ApiToken.Reason.HR, actor=request.user, origin=request_origin(request))
                      for token in queryset.filter(revoked_at__isnull=True))
        self.message_user(request, ngettext("%(n)s token revoked.", "%(n)s tokens revoked.", revoked) % {"n": revoked})


@admin.register(ServiceAccount)
class ServiceAccountAdmin(SuperuserActions, ReadOnlyAdmin):
    list_display = ["name", "user", "unit", "scopes", "created_at", "deactivated_at"]
    search_fields = ["name", "user__username"]
    list_select_related = ["user", "unit"]
    actions = ["deactivate"]

    @admin.action(description=_("Deactivate the selected service accounts"), permissions=["administer"])
    def deactivate(self, request, queryset):
        for account in queryset.select_related("user", "unit"):
            service_account_deactivate(actor=request.user, account=account, origin=request_origin(request))
        self.message_user(request, _("Deactivated; their tokens are revoked."))


@admin.register(LoginLockout)
class LoginLockoutAdmin(SuperuserActions, ReadOnlyAdmin):
    list_display = ["locked_at", "kind", "username", "ip_address", "failures", "until", "unlocked_at", "unlocked_by"]
    list_filter = ["kind"]
    search_fields = ["username", "=ip_address"]
    actions = ["unlock"]

    @admin.action(description=_("Unlock logging in for the selected accounts and addresses"), permissions=["administer"])
    def unlock(self, request, queryset):
        closed = 0
        for lockout in queryset.filter(unlocked_at__isnull=True):
            key = {"username": lockout.username} if lockout.kind == LoginLockout.Kind.ACCOUNT else {"address": lockout.ip_address}
            closed += login_unlock(actor=request.user, origin=request_origin(request), **key)
        self.message_user(request, ngettext("%(n)s lock-out lifted.", "%(n)s lock-outs lifted.", closed) % {"n": closed},
                          messages.SUCCESS)
