"""Plans (SKP): GET list and detail, PATCH content in draft or returned, POST actions."""

from __future__ import annotations

import django_filters
from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.request_origin import request_origin
from processes.models import Indicator, Plan, PlanResult
from processes.selectors import plans_visible_to
from processes.services.plans import plan_set_expectations, plan_update_content

from .document_actions import AllowedActionsField, AuditEventSerializer, CommentSerializer, DocumentActionsMixin
from .filters import MAX_ID, IdFilter


class EmployeeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    nip = serializers.CharField()
    name = serializers.CharField()


class IndicatorSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    aspect = serializers.ChoiceField(choices=Indicator.Aspect.choices)

    class Meta:
        model = Indicator
        fields = ["id", "description", "target", "aspect"]


class ResultSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=PlanResult.Kind.choices)
    supports = serializers.IntegerField(required=False, allow_null=True, source="supports_id", min_value=1, max_value=MAX_ID)
    indicators = IndicatorSerializer(many=True, required=False)

    class Meta:
        model = PlanResult
        fields = ["id", "title", "kind", "supports", "approved", "indicators"]
        read_only_fields = ["approved"]


class PlanListSerializer(serializers.ModelSerializer):
    employee = EmployeeRefSerializer()
    rater = EmployeeRefSerializer(source="member.rater", allow_null=True)
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.name")
    cycle = serializers.IntegerField(source="cycle_id")
    year = serializers.IntegerField(source="cycle.year")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Plan
        fields = [
            "id", "cycle", "year", "employee", "rater", "unit", "unit_name", "status", "status_display", "version",
            "revision", "submitted_at", "approved_at", "review_comment", "member", "start", "end", "origin", "ended",
            "leave_reason",
        ]


class PlanVersionSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    approved_at = serializers.DateTimeField()
    content = serializers.JSONField()


class PlanDetailSerializer(PlanListSerializer):
    results = ResultSerializer(many=True, read_only=True)
    versions = PlanVersionSerializer(many=True, read_only=True)
    allowed_actions = AllowedActionsField()
    expectations = serializers.DictField(child=serializers.CharField(), read_only=True,
                                         help_text="the leader's expectations per core value (ekspektasi khusus pimpinan)")

    class Meta(PlanListSerializer.Meta):
        fields = PlanListSerializer.Meta.fields + ["results", "expectations", "versions", "allowed_actions"]



class PlanContentSerializer(serializers.Serializer):
    """The body of a PATCH, as documented: ``results`` (each with its ``indicators``)."""

    results = ResultSerializer(many=True)


class PlanContentBodySerializer(serializers.Serializer):
    """The body of a PATCH as parsed: ``results`` passed as sent to ``plan_update_content``,
    which checks every item and field (so the API and the plan page refuse alike)."""

    results = serializers.JSONField()


class ExpectationsSerializer(serializers.Serializer):
    """The body of ``expectations``: ``{"expectations": {core value: text}}``, checked by
    ``plan_set_expectations`` (as on the plan page)."""

    expectations = serializers.JSONField(help_text="core value code (service_orientation, ...) to text; blank or left out: none")


class PlanFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id")
    employee = IdFilter(field_name="employee_id")
    unit = IdFilter(field_name="unit_id")
    status = django_filters.ChoiceFilter(choices=Plan.Status.choices)
    rater = IdFilter(field_name="member__rater_id")

    class Meta:
        model = Plan
        fields = ["cycle", "employee", "unit", "status", "rater"]


class PlanViewSet(DocumentActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = PlanFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator, not a user
            return Plan.objects.none()
        plans = plans_visible_to(self.request.user).order_by("id")
        if self.action != "list":
            plans = plans.prefetch_related("results__indicators", "versions")
        return plans

    def get_serializer_class(self):
        return PlanListSerializer if self.action == "list" else PlanDetailSerializer

    def document_after_action(self, plan):
        """The engine's locked copy (with the plan's employee, unit, cycle and rater), its
        results, indicators and versions read now, after the commit."""
        prefetch_related_objects([plan], "results__indicators", "versions")
        return plan

    @extend_schema(request=PlanContentSerializer, responses=PlanDetailSerializer)
    def partial_update(self, request, pk=None):
        plan = self.get_object()
        body = PlanContentBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan_update_content(plan=plan, actor=request.user, results=body.validated_data["results"], origin=request_origin(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)

    @extend_schema(request=ExpectationsSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def expectations(self, request, pk=None):
        """The rater writes the leader's expectations per core value, before approving."""
        plan = self.get_object()
        body = ExpectationsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan_set_expectations(plan=plan, actor=request.user, expectations=body.validated_data["expectations"],
                              origin=request_origin(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)

    @extend_schema(request=CommentSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self.transition(request, "submit")

    @extend_schema(request=CommentSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self.transition(request, "approve")

    @extend_schema(request=CommentSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self.transition(request, "return")

    @extend_schema(request=CommentSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        return self.transition(request, "amend")

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        return self.history_response(request)
