"""Feedback from colleagues (360) and from the public, as evidence for scoring."""

from __future__ import annotations

import re

import segno
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.request_origin import request_origin
from org.models import Employee, Unit
from org.services import hr_scope_units
from processes.models import FeedbackRequest, PublicFeedbackLink
from processes.selectors import units_visible_to
from processes.services.feedback import feedback_answer
from processes.services.public_feedback import link_issue, link_revoke, unit_month

from .documents import AuditEventSerializer, DocumentActionsMixin
from .idempotent import IdempotentWrites

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class FeedbackRequestSerializer(serializers.ModelSerializer):
    employee = serializers.CharField(source="assessment.employee.name", read_only=True)
    period = serializers.CharField(source="assessment.period", read_only=True)
    year = serializers.IntegerField(source="cycle.year", read_only=True)

    class Meta:
        model = FeedbackRequest
        fields = ["id", "assessment", "employee", "period", "year", "status", "due_at", "ratings", "comment", "answered_at"]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer):
    """Parsed only: the seven values and the comment's length are checked by feedback_answer."""

    ratings = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class FeedbackRequestViewSet(DocumentActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The invitations addressed to me (only mine: an answer is seen by its author alone)."""

    serializer_class = FeedbackRequestSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FeedbackRequest.objects.none()
        return (
            FeedbackRequest.objects.filter(invitee__user=self.request.user)
            .select_related("assessment__employee", "cycle").order_by("status", "due_at", "id")
        )

    @extend_schema(request=AnswerSerializer, responses=FeedbackRequestSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        feedback_request = self.get_object()
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        feedback_answer(request=feedback_request, actor=request.user, ratings=body.validated_data["ratings"],
                        comment=body.validated_data["comment"], origin=request_origin(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=feedback_request.pk)).data)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """That the invitation was made and answered; never the answer's content."""
        return self.history_response(request)


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


class PublicLinkViewSet(IdempotentWrites, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """HR's public feedback links: POST issues (or renews) one, DELETE revokes it."""

    serializer_class = PublicLinkSerializer
    filterset_fields = ["unit", "employee"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PublicFeedbackLink.objects.none()
        return PublicFeedbackLink.objects.filter(unit__in=hr_scope_units(self.request.user)).select_related("unit", "employee")

    def perform_create(self, serializer):
        serializer.instance = link_issue(actor=self.request.user, unit=serializer.validated_data.get("unit"),
                                         employee=serializer.validated_data.get("employee"))

    def destroy(self, request, *args, **kwargs):
        link_revoke(link=self.get_object(), actor=request.user)
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


