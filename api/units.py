"""The units in a user's view, and the public's ratings of a unit in a month."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from org.models import Unit
from processes.selectors import units_visible_to
from processes.services.public_feedback import unit_month

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent", "path"]


class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UnitSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Unit.objects.none()
        return units_visible_to(self.request.user)

    @extend_schema(responses=inline_serializer("UnitPublicFeedback", {"count": serializers.IntegerField()}))
    @action(detail=True, methods=["get"], url_path="public-feedback")
    def public_feedback(self, request, pk=None):
        """The public's ratings of the unit in a month (YYYY-MM, default this month)."""
        unit = self.get_object()
        month = request.query_params.get("month") or timezone.localdate().strftime("%Y-%m")
        if not MONTH.fullmatch(month):
            raise ValidationError({"month": ["Write the month as YYYY-MM."]})
        return Response(unit_month(unit, month))
