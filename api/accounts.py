"""Authentication (token) and the current user."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from org.models import RoleAssignment
from processes.models import CycleRole


class TokenView(APIView):
    """POST {username, password} -> {token}."""

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
        roles = [
            {"role": r.role, "unit": r.unit_id, "unit_name": r.unit.name}
            for r in RoleAssignment.objects.filter(user=user).select_related("unit")
        ]
        roles += [
            {"role": r.role, "cycle": r.cycle_id, "unit": r.unit_id, "unit_name": r.unit.name if r.unit else None}
            for r in CycleRole.objects.filter(user=user).select_related("unit")
        ]
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
                "roles": roles,
            }
        )
