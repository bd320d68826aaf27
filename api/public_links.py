"""HR's public feedback links: issue (renew), revoke, and the printable QR code."""

from __future__ import annotations

import segno
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.request_origin import request_origin
from org.models import Employee, Unit
from org.services import hr_scope_units
from processes.models import PublicFeedbackLink
from processes.services.public_feedback import link_issue, link_revoke

from .idempotent import IdempotentWrites


class PublicLinkSerializer(serializers.ModelSerializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all(), required=False, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = PublicFeedbackLink
        fields = ["id", "unit", "employee", "token", "url", "created_at", "revoked_at"]
        read_only_fields = ["token", "created_at", "revoked_at"]
        # One live link per service is kept by link_issue (renewing revokes the old one) and by
        # the database; the validators DRF would derive from those constraints would instead
        # require both fields.
        validators = []

    def get_url(self, link) -> str:
        return self.context["request"].build_absolute_uri(f"/f/{link.token}/")


class PublicLinkViewSet(
    IdempotentWrites, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """HR's public feedback links: POST issues (or renews) one, DELETE revokes it."""

    serializer_class = PublicLinkSerializer
    filterset_fields = ["unit", "employee"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PublicFeedbackLink.objects.none()
        return PublicFeedbackLink.objects.filter(unit__in=hr_scope_units(self.request.user)).select_related("unit", "employee")

    def perform_create(self, serializer):
        serializer.instance = link_issue(actor=self.request.user, unit=serializer.validated_data.get("unit"),
                                         employee=serializer.validated_data.get("employee"), origin=request_origin(self.request))

    def destroy(self, request, *args, **kwargs):
        link_revoke(link=self.get_object(), actor=request.user, origin=request_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "image/svg+xml"): bytes})
    @action(detail=True, methods=["get"])
    def qr(self, request, pk=None):
        """A printable QR code (SVG) of the link."""
        link = self.get_object()
        if link.revoked_at is not None:
            raise NotFound("The link is revoked.")
        svg = segno.make(request.build_absolute_uri(f"/f/{link.token}/"), error="m").svg_inline(scale=8, border=2)
        return HttpResponse(svg, content_type="image/svg+xml")
