"""Colleagues' feedback (360): my invitations and the answer, once, on the seven core values."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.request_origin import request_origin
from processes.models import FeedbackRequest
from processes.services.feedback import feedback_answer

from .document_actions import AuditEventSerializer, DocumentActionsMixin


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
