"""Cycles: HR creates and opens them; progress counts; the per-employee records (members)."""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.request_origin import request_origin
from org.models import Employee, Position, Unit
from org.services import hr_scope_units, is_hr_for
from processes.models import PERIODS, BulkRun, Cycle, CycleMember, CycleRole, Plan, RuleSet
from processes.selectors import cycles_visible_to, is_hr, late_reports, members_visible_to, overdue_tasks
from processes.selectors.contracts import contracts_ending as contracts_ending_of
from processes.services.bulk_runs import cycle_resume
from processes.services.cycles import cycle_create, member_correct_reporting_line
from processes.services.evaluations import evaluation_start
from processes.services.membership import member_join, member_leave, member_move
from processes.services.progress import progress_of
from processes.services.result_outputs import ratified_results, results_csv, results_xlsx
from workflow.engine import available_actions
from workflow.errors import NotPermitted

from .cycle_lists import LateReportSerializer, OverdueTaskSerializer
from .cycle_progress import CycleProgressSerializer
from .document_actions import AuditEventSerializer, DocumentActionsMixin
from .filters import MAX_ID, IdFilter, YearFilter
from .plans import EmployeeRefSerializer


class CycleSerializer(serializers.ModelSerializer):
    """Parsed only on create: the cycle's rules (name, year, deadline, period type, units) are
    checked by cycle_create, as for HR's page."""

    name = serializers.CharField(required=False, allow_blank=True, default="")
    year = serializers.IntegerField()
    period_type = serializers.CharField(required=False, default=Cycle.PeriodType.ANNUAL)
    units = serializers.PrimaryKeyRelatedField(many=True, queryset=Unit.objects.all())
    rule_set = serializers.PrimaryKeyRelatedField(queryset=RuleSet.objects.all(), required=False, allow_null=True)
    # Decides objections where the rater has no superior in scope; none: the ratifying official.
    deciding_official = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all(), required=False, allow_null=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Cycle
        fields = [
            "id", "name", "year", "period_type", "units", "plan_deadline", "rule_set", "deciding_official", "rules", "status",
            "status_display", "version", "opening_total", "opening_done", "opened_at", "created_at", "allowed_actions",
        ]
        read_only_fields = ["rules", "version", "opening_total", "opening_done", "opened_at", "created_at"]

    def get_allowed_actions(self, cycle) -> list[str] | None:
        # Per document: on detail responses only (a list would pay permission queries per row).
        if isinstance(self.parent, serializers.ListSerializer):
            return None
        return available_actions(cycle, self.context["request"].user)



class BulkRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = BulkRun
        fields = ["id", "kind", "target", "status", "total", "done", "attempts", "heartbeat_at", "waiting", "last_error"]


class ResultsQuerySerializer(serializers.Serializer):
    unit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    period = serializers.ChoiceField(choices=PERIODS, required=False)


class EvaluationSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS, help_text="M01..M12, Q1..Q4, S1, S2 as the cycle's period type has them, or annual")


class EvaluationStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.CharField()
    start = serializers.DateField(help_text="the period's first day: plans active from it to its end are evaluated")
    end = serializers.DateField()
    unit_reviews_created = serializers.IntegerField()
    assessments_created = serializers.IntegerField()
    unit_reviews = serializers.IntegerField()
    assessments = serializers.IntegerField()


class CycleFilter(django_filters.FilterSet):
    year = YearFilter()
    status = django_filters.ChoiceFilter(choices=Cycle.Status.choices)

    class Meta:
        model = Cycle
        fields = ["year", "status"]


class MemberPlanSerializer(serializers.Serializer):
    """The plan period this member record belongs to (docs/periods-and-changes.md)."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    origin = serializers.CharField()
    ended = serializers.CharField()
    leave_reason = serializers.CharField()


class MemberChangeSerializer(serializers.Serializer):
    """What a join, a move or a leave answers: the plan it ended and the plan it started."""

    ended = MemberPlanSerializer(allow_null=True)
    started = MemberPlanSerializer(allow_null=True)
    started_member = serializers.IntegerField(allow_null=True)
    lines_corrected = serializers.IntegerField(help_text="reporting lines of the people the employee rated, resolved again")


def change_response(change, status_code=status.HTTP_200_OK) -> Response:
    body = {"ended": change.ended, "started": change.started,
            "started_member": change.started.member_id if change.started else None, "lines_corrected": change.lines_corrected}
    return Response(MemberChangeSerializer(body).data, status=status_code)


class ContractAssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.CharField()
    status = serializers.CharField()
    predicate = serializers.CharField()


class ContractEndingSerializer(serializers.Serializer):
    employee = EmployeeRefSerializer()
    grade = serializers.CharField()
    contract_start = serializers.DateField(allow_null=True)
    contract_end = serializers.DateField()
    unit_name = serializers.CharField()
    plan = MemberPlanSerializer()
    assessment = ContractAssessmentSerializer(allow_null=True, help_text="the latest evaluation of the contract's last plan")


class JoinSerializer(serializers.Serializer):
    employee = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    start = serializers.DateField()


class MoveSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    date = serializers.DateField()


class LeaveSerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.ChoiceField(choices=Plan.LeaveReason.choices)


class CycleViewSet(
    DocumentActionsMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = CycleSerializer
    filterset_class = CycleFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Cycle.objects.none()
        return cycles_visible_to(self.request.user).prefetch_related("units").order_by("-year", "id")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if "units" in getattr(serializer, "fields", {}) and not getattr(self, "swagger_fake_view", False):
            # HR chooses among the units of its own scope; others are refused as "does not exist".
            serializer.fields["units"].child_relation.queryset = hr_scope_units(self.request.user)
        return serializer

    def create(self, request, *args, **kwargs):
        # Refuse a non-HR user plainly (403) before the body's units are looked up in a scope
        # that, for them, is empty.
        if not is_hr(request.user):
            raise NotPermitted(_("Only HR may create a cycle."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = cycle_create(
            actor=self.request.user, name=data["name"], year=data["year"], units=data["units"],
            plan_deadline=data["plan_deadline"], period_type=data.get("period_type", Cycle.PeriodType.ANNUAL),
            rule_set=data.get("rule_set"), deciding_official=data.get("deciding_official"), origin=request_origin(self.request),
        )

    @extend_schema(request=None, responses=CycleSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        response = self.transition(request, "open", comment="")
        # Opening continues in the background: 202 says so (with the embedded eager Celery it
        # is already done, and the body shows it).
        response.status_code = status.HTTP_202_ACCEPTED if response.status_code == 200 else response.status_code
        return response

    @extend_schema(request=None, responses=BulkRunSerializer(many=True))
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """HR resumes the cycle's unfinished bulk work (its opening, an evaluation period's
        assessments) now, rather than when the sweep finds it stalled; 409 when nothing is unfinished."""
        runs = cycle_resume(cycle=self.get_object(), actor=request.user, origin=request_origin(request))
        return Response(BulkRunSerializer(runs, many=True).data, status=status.HTTP_202_ACCEPTED)

    def _overseer(self, cycle, *, hr_only: bool = False):
        """HR of the cycle's units (and, for progress, its forum and ratifying official): the
        overview and the exports are theirs, not every member's."""
        user = self.request.user
        if is_hr_for(user, list(cycle.units.all())):
            return
        if not hr_only and CycleRole.objects.filter(cycle=cycle, user=user).exists():
            return
        raise NotPermitted(_("Only HR of the cycle's units may see this."))

    @extend_schema(responses=CycleProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        cycle = self.get_object()
        self._overseer(cycle)
        # From the cycle's snapshot (refreshed in the background): "as_of" says when it was counted.
        return Response(progress_of(cycle))

    def _hr_list(self, request, listing, serializer_class):
        page = self.paginate_queryset(listing)
        return self.get_paginated_response(serializer_class(page, many=True, context={"request": request}).data)

    @extend_schema(responses=LateReportSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="late-reports", url_name="late-reports")
    def late_reports(self, request, pk=None):
        """Reports submitted late and reports past their deadline not submitted yet, soonest due
        first: HR's list of the cycle page (HR of the cycle's units only)."""
        cycle = self.get_object()
        self._overseer(cycle, hr_only=True)
        return self._hr_list(request, late_reports(cycle), LateReportSerializer)

    @extend_schema(responses=OverdueTaskSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="overdue-tasks", url_name="overdue-tasks")
    def overdue_tasks(self, request, pk=None):
        """Open tasks of the cycle's documents past their due time and who holds each, most
        overdue first: HR's list of the cycle page (HR of the cycle's units only)."""
        cycle = self.get_object()
        self._overseer(cycle, hr_only=True)
        return self._hr_list(request, overdue_tasks(cycle), OverdueTaskSerializer)

    @extend_schema(request=EvaluationSerializer, responses=EvaluationStartedSerializer)
    @action(detail=True, methods=["post"])
    def evaluations(self, request, pk=None):
        """HR starts an evaluation period (the cycle's months, quarters or semesters, in order, or
        the annual one); repeating it creates nothing twice."""
        cycle = self.get_object()
        body = EvaluationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        evaluation, reviews, assessments = evaluation_start(
            cycle=cycle, period=body.validated_data["period"], actor=request.user, origin=request_origin(request)
        )
        return Response(
            {"id": evaluation.pk, "period": evaluation.period, "start": evaluation.start, "end": evaluation.end,
             "unit_reviews_created": reviews,
             "assessments_created": assessments,
             "unit_reviews": evaluation.unit_reviews.count(), "assessments": evaluation.assessments.count()},
            status=status.HTTP_201_CREATED if (reviews or assessments) else status.HTTP_200_OK,
        )

    @extend_schema(request=None, responses=CycleSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self.transition(request, "close", comment="")

    def _results(self, request):
        cycle = self.get_object()
        self._overseer(cycle, hr_only=True)
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return cycle, ratified_results(cycle, unit_id=query.validated_data.get("unit"), period=query.validated_data.get("period"))

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes})
    @action(detail=True, methods=["get"], url_path=r"results\.xlsx", url_name="results-xlsx")
    def results_xlsx(self, request, pk=None):
        """Ratified results as XLSX (for the performance allowance and the national HR system)."""
        cycle, results = self._results(request)
        response = HttpResponse(results_xlsx(results), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="hasil-kinerja-{cycle.year}-{cycle.pk}.xlsx"'
        return response

    @extend_schema(responses={(200, "text/csv"): bytes})
    @action(detail=True, methods=["get"], url_path=r"results\.csv", url_name="results-csv")
    def results_csv(self, request, pk=None):
        """Ratified results as CSV (UTF-8)."""
        cycle, results = self._results(request)
        response = HttpResponse(results_csv(results), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="hasil-kinerja-{cycle.year}-{cycle.pk}.csv"'
        return response

    @extend_schema(request=JoinSerializer, responses={201: MemberChangeSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """HR adds an employee appointed or transferred in during the year, from a date: a plan
        in draft with its submit task (due within the rule set's ``new_plan_days``)."""
        cycle = self.get_object()
        _require_hr(request.user)
        body = JoinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        employee = (Employee.objects.select_related("position__unit")
                    .filter(pk=body.validated_data["employee"], position__unit__in=hr_scope_units(request.user)).first())
        if employee is None:
            raise serializers.ValidationError({"employee": [_("No such employee in your units.")]})
        change = member_join(cycle=cycle, employee=employee, start_on=body.validated_data["start"], actor=request.user,
                             origin=request_origin(request))
        return change_response(change, status.HTTP_201_CREATED)

    @extend_schema(responses=ContractEndingSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="contracts-ending", url_name="contracts-ending")
    def contracts_ending(self, request, pk=None):
        """PPPK whose contract ends within the cycle's year (or by ``before``, a date), with the
        evaluation of their last plan: HR's list for the decision to extend (HR only)."""
        cycle = self.get_object()
        self._overseer(cycle, hr_only=True)
        before = request.query_params.get("before")
        return self._hr_list(request, contracts_ending_of(cycle, before=before, viewer=request.user), ContractEndingSerializer)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        return self.history_response(request)


class MemberSerializer(serializers.ModelSerializer):
    employee = EmployeeRefSerializer()
    rater = EmployeeRefSerializer(allow_null=True)
    raters_superior = EmployeeRefSerializer(allow_null=True)
    unit_name = serializers.CharField(source="unit.name")
    position_title = serializers.CharField(source="position.title", allow_null=True, default=None)
    plan = MemberPlanSerializer(read_only=True)

    class Meta:
        model = CycleMember
        fields = ["id", "cycle", "employee", "unit", "unit_name", "position", "position_title", "rater", "raters_superior", "plan"]


class ReportingLineSerializer(serializers.Serializer):
    rater = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all(), allow_null=True)
    raters_superior = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all(), allow_null=True, required=False)
    reason = serializers.CharField(max_length=2000)


class MemberFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id")
    running = django_filters.BooleanFilter(field_name="plan__ended", lookup_expr="exact", exclude=False,
                                           method="filter_running", help_text="true: only plans no change has ended")
    unit = IdFilter(field_name="unit_id")
    rater = IdFilter(field_name="rater_id")
    employee = IdFilter(field_name="employee_id")

    class Meta:
        model = CycleMember
        fields = ["cycle", "unit", "rater", "employee", "running"]

    def filter_running(self, queryset, name, value):
        return queryset.filter(plan__ended="") if value else queryset.exclude(plan__ended="")


def _require_hr(user) -> None:
    """Joins, moves and leaves are HR's: anyone else is told so before their input is read (the
    service checks the units)."""
    if not is_hr(user):
        raise NotPermitted(_("Only HR may add, move or record the leave of an employee."))


class MemberViewSet(DocumentActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MemberSerializer
    filterset_class = MemberFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CycleMember.objects.none()
        return members_visible_to(self.request.user).order_by("id")

    @extend_schema(request=ReportingLineSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def correct_reporting_line(self, request, pk=None):
        member = self.get_object()
        body = ReportingLineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member_correct_reporting_line(
            member=member, actor=request.user, rater=body.validated_data["rater"],
            raters_superior=body.validated_data.get("raters_superior"), reason=body.validated_data["reason"],
            origin=request_origin(request),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=member.pk)).data)

    @extend_schema(request=MoveSerializer, responses=MemberChangeSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """HR moves the employee (transfer, promotion, change of position) from a date: the plan
        ends the day before and a new plan starts with the new position's rater and unit."""
        member = self.get_object()
        _require_hr(request.user)
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        position = Position.objects.filter(pk=body.validated_data["position"], unit__in=hr_scope_units(request.user)).first()
        if position is None:
            raise serializers.ValidationError({"position": [_("No such position in your units.")]})
        change = member_move(member=member, position=position, on=body.validated_data["date"], actor=request.user,
                             origin=request_origin(request))
        return change_response(change)

    @extend_schema(request=LeaveSerializer, responses=MemberChangeSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """HR records that the employee leaves (retirement, resignation, death, end of contract,
        transfer out) from a date: the plan ends the day before, the leaver's tasks close."""
        member = self.get_object()
        _require_hr(request.user)
        body = LeaveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = member_leave(member=member, on=body.validated_data["date"], reason=body.validated_data["reason"],
                              actor=request.user, origin=request_origin(request))
        return change_response(change)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        return self.history_response(request)
