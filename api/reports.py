"""Monthly reports: list, first access, realisations, evidence (files and links), actions."""

from __future__ import annotations

import django_filters
from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.request_origin import request_origin
from processes.models import Evidence, MonthlyReport, Plan
from processes.selectors import plans_visible_to, reports_visible_to
from processes.services.public_feedback import summary as public_summary
from processes.services.reports import (
    download_content_type,
    download_name,
    evidence_add,
    evidence_delete,
    report_for_month,
    report_update_realisations,
)

from .document_actions import AllowedActionsField, AuditEventSerializer, CommentSerializer, DocumentActionsMixin
from .filters import MAX_ID, IdFilter
from .parsers import FormParser, JSONParser, MultiPartParser
from .plans import EmployeeRefSerializer


class RealisationSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(source="indicator_id", min_value=1, max_value=MAX_ID)
    indicator_description = serializers.CharField(read_only=True)
    value = serializers.CharField(max_length=500)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class EvidenceSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "kind", "name", "url", "size", "content_type", "created_at", "download"]

    def get_download(self, evidence) -> str | None:
        if evidence.kind != Evidence.Kind.FILE:
            return None
        return f"/api/v1/reports/{evidence.report_id}/evidence/{evidence.pk}/"


class ReportListSerializer(serializers.ModelSerializer):
    employee = EmployeeRefSerializer()
    rater = EmployeeRefSerializer(source="member.rater", allow_null=True)
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = MonthlyReport
        fields = ["id", "cycle", "plan", "employee", "rater", "unit", "month", "status", "status_display", "version",
                  "due_at", "submitted_at", "late", "feedback"]


class ReportDetailSerializer(ReportListSerializer):
    realisations = RealisationSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    public_feedback = serializers.SerializerMethodField()
    allowed_actions = AllowedActionsField()

    class Meta(ReportListSerializer.Meta):
        fields = ReportListSerializer.Meta.fields + ["realisations", "evidence", "public_feedback", "allowed_actions"]

    def get_public_feedback(self, report) -> dict:
        """The public's ratings of the month, as evidence beside the realisation."""
        month = [f"{report.cycle.year}-{report.month:02d}"]
        return {"unit": public_summary(unit_id=report.unit_id, months=month),
                "employee": public_summary(employee_id=report.employee_id, months=month)}



# The request bodies: parsed only (types); the services check the values (report_for_month,
# report_update_realisations, evidence_add), so the API and the report page refuse alike.


class ReportCreateSerializer(serializers.Serializer):
    plan = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    month = serializers.JSONField(help_text="1 to 12")


class RealisationInputSerializer(serializers.Serializer):
    """One realisation as documented (the body is checked by the service)."""

    indicator = serializers.IntegerField()
    value = serializers.CharField()
    note = serializers.CharField(required=False)


class RealisationsBodySerializer(serializers.Serializer):
    realisations = RealisationInputSerializer(many=True)


class RealisationsParser(serializers.Serializer):
    realisations = serializers.JSONField()


class EvidenceBodySerializer(serializers.Serializer):
    file = serializers.FileField(required=False, allow_empty_file=True)
    url = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")


class ReportFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id")
    employee = IdFilter(field_name="employee_id")
    unit = IdFilter(field_name="unit_id")
    month = django_filters.NumberFilter(min_value=1, max_value=12)
    status = django_filters.ChoiceFilter(choices=MonthlyReport.Status.choices)
    late = django_filters.BooleanFilter()

    class Meta:
        model = MonthlyReport
        fields = ["cycle", "employee", "unit", "month", "status", "late"]


class ReportViewSet(DocumentActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = ReportFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MonthlyReport.objects.none()
        reports = reports_visible_to(self.request.user).order_by("month", "id")
        if self.action != "list":
            reports = reports.prefetch_related("realisations", "evidence")
        return reports

    def get_serializer_class(self):
        return ReportListSerializer if self.action == "list" else ReportDetailSerializer

    def _detail(self, pk, status_code=200):
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data, status=status_code)

    @extend_schema(request=ReportCreateSerializer, responses=ReportDetailSerializer)
    def create(self, request):
        """The month's report of a plan: returned if it exists, else started (first access)."""
        body = ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan = plans_visible_to(request.user).filter(pk=body.validated_data["plan"]).first()
        if plan is None:
            raise NotFound()
        report, created = report_for_month(plan=plan, month=body.validated_data["month"], actor=request.user)
        return self._detail(report.pk, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=RealisationsBodySerializer, responses=ReportDetailSerializer)
    def partial_update(self, request, pk=None):
        report = self.get_object()
        body = RealisationsParser(data=request.data)
        body.is_valid(raise_exception=True)
        report_update_realisations(report=report, actor=request.user, items=body.validated_data["realisations"],
                                   origin=request_origin(request))
        return self._detail(report.pk)

    @extend_schema(request=EvidenceBodySerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"], url_path="evidence")
    def add_evidence(self, request, pk=None):
        report = self.get_object()
        body = EvidenceBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        evidence = evidence_add(report=report, actor=request.user, upload=body.validated_data.get("file"),
                                url=body.validated_data.get("url"), name=body.validated_data.get("name", ""),
                                origin=request_origin(request))
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get", "delete"], url_path=r"evidence/(?P<evidence_id>\d+)")
    def evidence_item(self, request, pk=None, evidence_id=None):
        """GET downloads a file (only for those who may see the report); DELETE removes an item
        before the report is submitted."""
        report = self.get_object()
        evidence = Evidence.objects.filter(report=report, pk=int(evidence_id) if len(evidence_id) < 19 else 0).first()
        if evidence is None:
            raise NotFound()
        if request.method == "DELETE":
            evidence_delete(evidence=evidence, actor=request.user, origin=request_origin(request))
            return Response(status=status.HTTP_204_NO_CONTENT)
        if evidence.kind != Evidence.Kind.FILE:
            raise NotFound()
        # Served as the type its content was found to be (never the type its sender claimed), as an
        # attachment under a name that keeps its extension; SecurityMiddleware adds nosniff.
        return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=download_name(evidence),
                            content_type=download_content_type(evidence))

    @extend_schema(request=CommentSerializer, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self.transition(request, "submit")

    @extend_schema(request=CommentSerializer, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self.transition(request, "accept")

    @extend_schema(request=CommentSerializer, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self.transition(request, "return")

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        return self.history_response(request)


__all__ = ["ReportViewSet", "Plan"]
