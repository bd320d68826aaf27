"""Authentication (token) and the current user."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import cool_off, lockout_message, sign_in_succeeded
from accounts.models import ApiToken
from accounts.tokens import token_issue, token_revoke
from config.request_origin import request_origin
from processes.roles import role_assignments_of, roles_held

from .authentication import TokenAuthentication
from .idempotent import IdempotentWrites
from .throttling import ScopedRateThrottle


class SignInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


IssuedTokenSerializer = inline_serializer("Token", {
    "token": serializers.CharField(help_text="the key: shown this once, only its hash is kept"),
    "expires_at": serializers.DateTimeField(),
    "scopes": serializers.ListField(child=serializers.CharField()),
})


class TokenView(IdempotentWrites, APIView):
    """POST {username, password} -> a new token; DELETE (with the token) revokes it.

    POST is anonymous, so no user owns an ``Idempotency-Key`` there (api/idempotent.py): each
    POST issues a new token, valid ``KINERJA_TOKEN_TTL`` seconds. Wrong passwords are counted by
    account and by client address (accounts/lockout.py): past the limit the answer is a 429, even
    for the right password, until the lock-out ends."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get_authenticators(self):
        # Signing in is anonymous (no session, hence no CSRF check on the login itself);
        # revoking is done with the token being revoked, and nothing else.
        return [TokenAuthentication()] if self._revoking() else []

    def get_permissions(self):
        return [permissions.IsAuthenticated()] if self._revoking() else super().get_permissions()

    def get_throttles(self):
        return [] if self._revoking() else super().get_throttles()

    def _revoking(self) -> bool:
        return getattr(getattr(self, "request", None), "method", None) == "DELETE"

    @extend_schema(
        request=SignInSerializer,
        responses={200: IssuedTokenSerializer, 429: OpenApiResponse(description="sign-in locked out (errors shape)")},
    )
    def post(self, request):
        body = SignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data["username"]
        user = authenticate(request=request, username=username, password=body.validated_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out_response()
        if user is None:
            return Response({"errors": {"non_field_errors": [_("Unable to log in with provided credentials.")]}},
                            status=status.HTTP_400_BAD_REQUEST)
        sign_in_succeeded(request, username)
        issued = token_issue(user=user, origin=request_origin(request, channel="api"))
        return Response({"token": issued.key, "expires_at": issued.token.expires_at, "scopes": sorted(issued.token.scope_set)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        token_revoke(token=request.auth, reason=ApiToken.Reason.OWNER, actor=request.user, origin=request_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def locked_out_response() -> Response:
    """429 in the errors shape of api/errors.py, in the client's language, with Retry-After."""
    return Response({"errors": {"non_field_errors": [lockout_message()]}}, status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(int(cool_off().total_seconds()))})


class MeView(APIView):
    @extend_schema(responses=inline_serializer("Me", {
        "id": serializers.IntegerField(),
        "username": serializers.CharField(),
        "email": serializers.EmailField(allow_blank=True),
        "is_superuser": serializers.BooleanField(),
        "language": serializers.CharField(allow_null=True, help_text="the employee's language; null without an employee record"),
        "employee": inline_serializer("MeEmployee", {
            "id": serializers.IntegerField(),
            "nip": serializers.CharField(),
            "name": serializers.CharField(),
            "employment_type": serializers.CharField(),
            "grade": serializers.CharField(help_text="pangkat/golongan code (III/a; a PPPK's IX); empty if unknown"),
            "grade_label": serializers.CharField(help_text="as documents print it: Penata Muda, III/a"),
            "position_start": serializers.DateField(allow_null=True, help_text="in the position since (TMT jabatan)"),
            "contract_start": serializers.DateField(allow_null=True, help_text="a PPPK's contract"),
            "contract_end": serializers.DateField(allow_null=True),
            "position_kind": serializers.CharField(allow_null=True, help_text="structural, functional or executor"),
            "functional_level": serializers.CharField(allow_null=True),
            "position": serializers.CharField(allow_null=True, help_text="the position's title"),
            "unit": serializers.IntegerField(allow_null=True, help_text="the position's unit"),
        }, allow_null=True),
        "roles": inline_serializer("MeRole", {
            "role": serializers.CharField(),
            "unit": serializers.IntegerField(allow_null=True),
            "unit_name": serializers.CharField(allow_null=True),
            "cycle": serializers.IntegerField(required=False, help_text="for a role in one cycle (forum member, ratifying official)"),
        }, many=True),
        "acts_as": serializers.ListField(child=serializers.CharField(), help_text="every role the user holds somewhere"),
    }))
    def get(self, request):
        user = request.user
        employee = getattr(user, "employee", None)
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "is_superuser": user.is_superuser,
                "language": employee.language if employee else None,
                "employee": None
                if employee is None
                else {
                    "id": employee.pk,
                    "nip": employee.nip,
                    "name": employee.name,
                    "employment_type": employee.employment_type,
                    "grade": employee.grade,
                    "grade_label": employee.get_grade_label(),
                    "position_start": employee.position_start,
                    "contract_start": employee.contract_start,
                    "contract_end": employee.contract_end,
                    "position_kind": employee.position.kind if employee.position else None,
                    "functional_level": employee.position.functional_level if employee.position else None,
                    "position": employee.position.title if employee.position else None,
                    "unit": employee.position.unit_id if employee.position else None,
                },
                # The roles assigned by name, and every role the user holds somewhere (in person or
                # standing in): the same answer as the pages' menus.
                "roles": role_assignments_of(user),
                "acts_as": sorted(role for role, held in roles_held(user).items() if held),
            }
        )
