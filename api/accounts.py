"""Authentication (token) and the current user."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from processes.roles import role_assignments_of, roles_held

from .throttling import ScopedRateThrottle


class TokenView(APIView):
    """POST {username, password} -> {token}.

    Not idempotent by ``Idempotency-Key`` (api/idempotent.py): the request is anonymous, so no
    user owns a key, and asking again for one's token changes nothing anyway."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("Token", {"token": serializers.CharField()}),
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeView(APIView):
    @extend_schema(responses=inline_serializer("Me", {"id": serializers.IntegerField()}))
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
                    "position": employee.position.title if employee.position else None,
                    "unit": employee.position.unit_id if employee.position else None,
                },
                # The roles assigned by name, and every role the user holds somewhere (in person or
                # standing in): the same answer as the pages' menus.
                "roles": role_assignments_of(user),
                "acts_as": sorted(role for role, held in roles_held(user).items() if held),
            }
        )
