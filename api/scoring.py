"""Scoring: unit reviews (the unit predicate, the forum's board, approval, ratification) and
assessments (the rater's ratings, acceptance by the employee, the evaluation document)."""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.request_origin import request_origin
from processes.models import PERIODS, Assessment, UnitReview
from processes.selectors import assessments_visible_to, unit_reviews_visible_to
from processes.selectors.annual import annual_result
from processes.selectors.privacy import access_to, board_access, board_summary_shown, shown, with_result_access
from processes.services.feedback import aggregate, feedback_invite, may_invite, may_see_aggregate, period_months, respondents
from processes.services.public_feedback import summary as public_summary
from processes.services.result_outputs import DOCUMENT_STATUSES, evaluation_document_pdf
from processes.services.scoring import (
    assessment_rate,
    board,
    unit_review_adjust,
    unit_review_approve,
    unit_review_ratify,
    unit_review_set_predicate,
)
from workflow.errors import NotPermitted

from .document_actions import AllowedActionsField, AuditEventSerializer, CommentSerializer, DocumentActionsMixin, as_json
from .filters import MAX_ID, IdFilter
from .plans import EmployeeRefSerializer

RATING_CHOICES = Assessment.Rating.choices


class AssessmentSerializer(serializers.ModelSerializer):
    employee = EmployeeRefSerializer(read_only=True)
    rater = EmployeeRefSerializer(source="member.rater", allow_null=True, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    predicate_display = serializers.CharField(source="get_predicate_display", read_only=True)
    unit_predicate = serializers.CharField(read_only=True, help_text="the predicate of the employee's unit (for a leader, the unit led)")
    adjusted = serializers.BooleanField(read_only=True, help_text="the result stands as the calibration forum changed it")
    changed_by_display = serializers.CharField(source="get_changed_by_display", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id", "cycle", "period", "unit", "unit_review", "employee", "rater", "is_unit_leader", "status",
            "status_display", "version", "unit_predicate", "results_rating", "behaviour_rating", "behaviour_values",
            "note", "rated_predicate", "predicate", "predicate_display", "adjusted", "changed_by", "changed_by_display",
            "previous_predicate", "led_review", "issued_at", "objection_deadline", "final_at",
        ]
        read_only_fields = fields

    def to_representation(self, assessment):
        """The result as the reader may see it (processes/selectors/privacy.py, as the pages): its
        employee sees none of it before the forum issues it; a board's reader may be given the
        levels of its rows in the context (``access``)."""
        levels = self.context.get("access") or {}
        access = levels.get(assessment.pk) or access_to(assessment, self.context["request"].user)
        return super().to_representation(shown(assessment, access))


class AssessmentDetailSerializer(AssessmentSerializer):
    """With the actions the user may take: per document, so on detail responses only (in a
    list it would cost permission queries per row)."""

    allowed_actions = AllowedActionsField()
    annual_result = serializers.SerializerMethodField(
        help_text="for someone with several plans in the year: how the annual predicate is derived from them")

    class Meta(AssessmentSerializer.Meta):
        fields = AssessmentSerializer.Meta.fields + ["allowed_actions", "annual_result"]
        read_only_fields = fields

    def get_annual_result(self, assessment) -> dict | None:
        result = annual_result(assessment, viewer=self.context["request"].user)
        return result.as_dict() if result else None



class InviteSerializer(serializers.Serializer):
    """Parsed only: who may be invited, and how many, is the service's rule (feedback_invite)."""

    invitees = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID))


class RatingsSerializer(serializers.Serializer):
    """Parsed only: the choices and the note's length are checked by assessment_rate."""

    results_rating = serializers.CharField(required=False, allow_blank=True)
    behaviour_rating = serializers.CharField(required=False, allow_blank=True)
    behaviour_values = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class AssessmentFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id")
    unit = IdFilter(field_name="unit_id")
    employee = IdFilter(field_name="employee_id")
    unit_review = IdFilter(field_name="unit_review_id")
    period = django_filters.ChoiceFilter(choices=PERIODS)
    status = django_filters.ChoiceFilter(choices=Assessment.Status.choices)

    class Meta:
        model = Assessment
        fields = ["cycle", "unit", "employee", "unit_review", "period", "status"]


class AssessmentViewSet(DocumentActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = AssessmentFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        return with_result_access(assessments_visible_to(self.request.user), self.request.user).order_by("id")

    def get_serializer_class(self):
        return AssessmentSerializer if self.action == "list" else AssessmentDetailSerializer

    @extend_schema(request=RatingsSerializer, responses=AssessmentDetailSerializer)
    def partial_update(self, request, pk=None):
        assessment = self.get_object()
        body = RatingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assessment_rate(assessment=assessment, actor=request.user, ratings=body.validated_data, origin=request_origin(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=assessment.pk)).data)

    @extend_schema(request=CommentSerializer, responses=AssessmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self.transition(request, "submit")

    @extend_schema(request=CommentSerializer, responses=AssessmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The employee accepts the issued result (signs the evaluation document): final at once."""
        return self.transition(request, "accept")

    @extend_schema(request=InviteSerializer, responses=inline_serializer("Invited", {"created": serializers.IntegerField()}))
    @action(detail=True, methods=["post"], url_path="feedback-requests")
    def feedback_requests(self, request, pk=None):
        """The rater (or HR) invites colleagues and subordinates to give feedback."""
        assessment = self.get_object()
        body = InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = feedback_invite(assessment=assessment, actor=request.user, invitee_ids=body.validated_data["invitees"],
                                  origin=request_origin(request))
        return Response({"created": len(created), "invited": [r.invitee_id for r in created]},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses=inline_serializer("AssessmentFeedback", {"public": serializers.DictField()}))
    @action(detail=True, methods=["get"])
    def feedback(self, request, pk=None):
        """Colleagues' feedback, aggregated and anonymous (for the employee, the rater and the
        forum, once enough have answered); for HR, who answered; and the public's ratings."""
        assessment = self.get_object()
        months = period_months(assessment)
        public = {
            "unit": public_summary(unit_id=assessment.unit_id, months=months),
            "employee": public_summary(employee_id=assessment.employee_id, months=months),
        }
        if may_see_aggregate(assessment, request.user):
            return Response({"colleagues": aggregate(assessment), "public": public})
        if may_invite(assessment, request.user):  # HR: who answered, never what
            return Response({"respondents": respondents(assessment), "public": public})
        raise NotPermitted(_("Only the employee, the rater, the forum and HR see this feedback."))

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def document(self, request, pk=None):
        """The evaluation document (Dokumen Evaluasi Kinerja Pegawai) of an issued result, marked
        "not yet ratified" until it is ratified."""
        assessment = self.get_object()
        if assessment.status not in DOCUMENT_STATUSES:
            raise NotFound(_("The evaluation document exists once the calibration forum has issued the result."))
        response = HttpResponse(evaluation_document_pdf(assessment), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="evaluasi-{assessment.employee.nip}-{assessment.period}.pdf"'
        return response

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        return self.history_response(request)


class UnitReviewSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    predicate_setter = EmployeeRefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = UnitReview
        fields = ["id", "cycle", "period", "unit", "unit_name", "status", "status_display", "version", "unit_predicate",
                  "predicate_setter", "justification", "approved_at", "ratified_at"]
        read_only_fields = fields


class UnitReviewDetailSerializer(UnitReviewSerializer):
    allowed_actions = AllowedActionsField()

    class Meta(UnitReviewSerializer.Meta):
        fields = UnitReviewSerializer.Meta.fields + ["allowed_actions"]
        read_only_fields = fields



# The bodies of the review's commands, parsed only: choices, lengths and the reason's presence
# are checked by the services (processes/services/scoring.py), as for the pages.


class UnitPredicateSerializer(serializers.Serializer):
    unit_predicate = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AdjustSerializer(serializers.Serializer):
    """The forum changes a rating, never a bare predicate (it always follows from the ratings)."""

    assessment = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    results_rating = serializers.CharField(required=False, allow_blank=True, default="")
    behaviour_rating = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if "predicate" in self.initial_data:
            raise serializers.ValidationError({"predicate": [
                _("The predicate follows from the ratings: adjust the results_rating or the behaviour_rating.")]})
        return attrs


class ApproveSerializer(serializers.Serializer):
    justification = serializers.CharField(required=False, allow_blank=True, default="")


class RatifySerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class UnitReviewFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id")
    unit = IdFilter(field_name="unit_id")
    period = django_filters.ChoiceFilter(choices=PERIODS)
    status = django_filters.ChoiceFilter(choices=UnitReview.Status.choices)

    class Meta:
        model = UnitReview
        fields = ["cycle", "unit", "period", "status"]


class UnitReviewViewSet(DocumentActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = UnitReviewFilter

    def get_serializer_class(self):
        return UnitReviewSerializer if self.action == "list" else UnitReviewDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UnitReview.objects.none()
        return unit_reviews_visible_to(self.request.user).order_by("id")

    def retrieve(self, request, pk=None):
        """The forum's board: every assessment, the distribution and the pattern's rules."""
        review = self.get_object()
        data = board(review, viewer=request.user)
        body = self.get_serializer(review).data
        # Each row as this reader may see it: a rater reading the review for the pattern's sake
        # sees no other employee's note; nobody sees their own result before it is issued, nor
        # reads it from the distribution.
        levels = board_access(review, data["assessments"], request.user)
        data = board_summary_shown(review, data, levels)
        assessments = AssessmentSerializer(data["assessments"], many=True, context={"request": request, "access": levels}).data
        body.update({
            "assessments": assessments,
            "distribution": data["distribution"], "total": data["total"], "pattern": data["pattern"],
            "departures": data["departures"], "most_reading": data["most_reading"], "feedback": data["feedback"],
        })
        return Response(body)

    def _fresh(self, review):
        return Response(as_json(self.get_serializer(self.get_queryset().get(pk=review.pk)).data))

    @extend_schema(request=UnitPredicateSerializer, responses=UnitReviewDetailSerializer)
    @action(detail=True, methods=["post"])
    def set_unit_predicate(self, request, pk=None):
        review = self.get_object()
        body = UnitPredicateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit_review_set_predicate(review=review, actor=request.user, unit_predicate=body.validated_data["unit_predicate"],
                                  comment=body.validated_data["comment"], origin=request_origin(request))
        return self._fresh(review)

    @extend_schema(request=AdjustSerializer, responses=AssessmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        review = self.get_object()
        body = AdjustSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assessment = unit_review_adjust(review=review, actor=request.user, assessment_id=data["assessment"], reason=data["reason"],
                                        results_rating=data["results_rating"], behaviour_rating=data["behaviour_rating"],
                                        origin=request_origin(request))
        visible = with_result_access(assessments_visible_to(request.user), request.user)
        return Response(AssessmentDetailSerializer(visible.get(pk=assessment.pk), context={"request": request}).data)

    @extend_schema(request=ApproveSerializer, responses=UnitReviewDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        review = self.get_object()
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit_review_approve(review=review, actor=request.user, justification=body.validated_data["justification"],
                            origin=request_origin(request))
        return self._fresh(review)

    @extend_schema(request=RatifySerializer, responses=UnitReviewDetailSerializer)
    @action(detail=True, methods=["post"])
    def ratify(self, request, pk=None):
        review = self.get_object()
        body = RatifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit_review_ratify(review=review, actor=request.user, comment=body.validated_data["comment"], origin=request_origin(request))
        return self._fresh(review)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        return self.history_response(request)
