"""My notification preferences (e-mail on or off; in-app always on)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.models import NotificationPreference

from .idempotent import IdempotentWrites


class PreferencesSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(read_only=True, help_text="Always on: the inbox itself.")
    email = serializers.BooleanField()


class PreferencesView(IdempotentWrites, APIView):
    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        preference, _created = NotificationPreference.objects.get_or_create(user=request.user)
        return Response({"in_app": True, "email": preference.email})

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def patch(self, request):
        body = PreferencesSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        preference, _created = NotificationPreference.objects.get_or_create(user=request.user)
        if "email" in body.validated_data:
            preference.email = body.validated_data["email"]
            preference.save(update_fields=["email"])
        return Response({"in_app": True, "email": preference.email})
