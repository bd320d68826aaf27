"""Objections (keberatan): filed by the employee, explained, decided by the rater's superior."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.request_origin import request_origin
from processes.models import Objection
from processes.selectors import assessments_visible_to, objections_visible_to
from processes.services.objections import objection_decide, objection_explain, objection_file

from .document_actions import AllowedActionsField, AuditEventSerializer, DocumentActionsMixin
from .filters import MAX_ID, IdFilter
from .plans import EmployeeRefSerializer


class ObjectionSerializer(serializers.ModelSerializer):
    employee = EmployeeRefSerializer(read_only=True)
    decider = EmployeeRefSerializer(read_only=True, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Objection
        fields = ["id", "assessment", "cycle", "employee", "decider", "status", "status_display", "version", "reasons",
                  "explanations_due", "rater_explanation", "employee_explanation", "outcome", "results_rating",
                  "behaviour_rating", "decision_reasons", "decided_at", "created_at"]
        read_only_fields = fields


class ObjectionDetailSerializer(ObjectionSerializer):
    allowed_actions = AllowedActionsField()

    class Meta(ObjectionSerializer.Meta):
        fields = ObjectionSerializer.Meta.fields + ["allowed_actions"]
        read_only_fields = fields



# The bodies, parsed only: lengths, choices and what a decision needs are checked by the
# services (processes/services/objections.py), as for the pages.


class FileObjectionSerializer(serializers.Serializer):
    assessment = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


class ExplanationSerializer(serializers.Serializer):
    explanation = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.CharField(required=False, allow_blank=True, default="")
    results_rating = serializers.CharField(required=False, allow_blank=True, default="")
    behaviour_rating = serializers.CharField(required=False, allow_blank=True, default="")
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


class ObjectionFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id")
    employee = IdFilter(field_name="employee_id")
    status = django_filters.ChoiceFilter(choices=Objection.Status.choices)

    class Meta:
        model = Objection
        fields = ["cycle", "employee", "status"]


class ObjectionViewSet(DocumentActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = ObjectionFilter

    def get_serializer_class(self):
        return ObjectionSerializer if self.action == "list" else ObjectionDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Objection.objects.none()
        return objections_visible_to(self.request.user).order_by("id")

    @extend_schema(request=FileObjectionSerializer, responses=ObjectionDetailSerializer)
    def create(self, request):
        body = FileObjectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assessment = assessments_visible_to(request.user).filter(pk=body.validated_data["assessment"]).first()
        if assessment is None:
            raise NotFound()
        objection = objection_file(assessment=assessment, actor=request.user, reasons=body.validated_data["reasons"],
                                   origin=request_origin(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=objection.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ExplanationSerializer, responses=ObjectionDetailSerializer)
    @action(detail=True, methods=["post"])
    def explanations(self, request, pk=None):
        objection = self.get_object()
        body = ExplanationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection_explain(objection=objection, actor=request.user, explanation=body.validated_data["explanation"],
                          origin=request_origin(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=objection.pk)).data)

    @extend_schema(request=DecisionSerializer, responses=ObjectionDetailSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        objection = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection_decide(objection=objection, actor=request.user, origin=request_origin(request), **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=objection.pk)).data)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        return self.history_response(request)
