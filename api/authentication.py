"""Token authentication over ``accounts.ApiToken``: hashed keys, expiry, scopes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from accounts.scopes import allows
from accounts.tokens import token_for_key, token_refusal

REFUSALS = {
    "expired": _("The token has expired: ask for a new one."),
    "inactive": _("User inactive or deleted."),
    # The password changed since the token was issued: like an unknown key, say nothing more.
    "password_changed": _("Invalid token."),
}


class TokenAuthentication(authentication.TokenAuthentication):
    """The header ``Authorization: Token <key>``. One query finds the token with its user and the
    user's employee (every API request reads them next: visibility, the flows' permission
    checks, /me/). A token whose scopes do not cover the request is refused here, ahead of every
    view and its permission classes (accounts/scopes.py)."""

    model = ApiToken

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            _user, token = authenticated
            match = getattr(request._request, "resolver_match", None)
            if not allows(token.scope_set, request.method, getattr(match, "url_name", None)):
                raise exceptions.PermissionDenied(_("This token's scope does not allow this request."))
        return authenticated

    def authenticate_credentials(self, key):
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        refusal = token_refusal(token)
        if refusal is not None:
            raise exceptions.AuthenticationFailed(REFUSALS[refusal])
        return token.user, token
