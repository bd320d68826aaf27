"""My open tasks and my notifications."""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications.messages import render
from notifications.models import Notification
from notifications.services import notification_mark_read
from org.models import Employee
from org.services import acting_positions, delegators_of
from processes.flows.base import today
from processes.models import Assessment, MonthlyReport, Objection, Plan, UnitReview
from workflow.inbox import inbox_for_user
from workflow.models import OpenTask


def _plan_labels(ids) -> dict[int, str]:
    return {
        pk: f"SKP {year} — {name}"
        for pk, year, name in Plan.objects.filter(pk__in=ids).values_list("pk", "cycle__year", "employee__name")
    }


def _report_labels(ids) -> dict[int, str]:
    return {
        pk: f"{month:02d}/{year} — {name}"
        for pk, month, year, name in MonthlyReport.objects.filter(pk__in=ids).values_list("pk", "month", "cycle__year", "employee__name")
    }


def _assessment_labels(ids) -> dict[int, str]:
    return {
        pk: f"{period} {year} — {name}"
        for pk, period, year, name in Assessment.objects.filter(pk__in=ids).values_list("pk", "period", "cycle__year", "employee__name")
    }


def _review_labels(ids) -> dict[int, str]:
    return {
        pk: f"{period} {year} — {unit}"
        for pk, period, year, unit in UnitReview.objects.filter(pk__in=ids).values_list("pk", "period", "cycle__year", "unit__name")
    }


def _objection_labels(ids) -> dict[int, str]:
    return {
        pk: f"{period} {year} — {name}"
        for pk, period, year, name in Objection.objects.filter(pk__in=ids).values_list(
            "pk", "assessment__period", "cycle__year", "employee__name"
        )
    }


# One query per document type on a page, whatever its length.
DOCUMENT_LABELS = {
    "plan": _plan_labels, "report": _report_labels, "assessment": _assessment_labels,
    "unit_review": _review_labels, "objection": _objection_labels,
}


class TaskSerializer(serializers.ModelSerializer):
    overdue = serializers.BooleanField()
    label = serializers.SerializerMethodField()
    on_behalf = serializers.SerializerMethodField()

    class Meta:
        model = OpenTask
        fields = ["id", "document_type", "document_id", "label", "role", "actions", "due_at", "overdue", "on_behalf", "created_at"]

    def get_label(self, task) -> str:
        return self.context.get("labels", {}).get(task.document_type, {}).get(task.document_id, "")

    def get_on_behalf(self, task) -> bool:
        return task.assignee_id != self.context["request"].user.pk


class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OpenTask.objects.none()
        user = self.request.user
        employee = getattr(user, "employee", None)
        if employee is None:
            return inbox_for_user(user)
        delegators = delegators_of(employee.pk, today())
        delegator_users = set(Employee.objects.filter(pk__in=delegators, user__isnull=False).values_list("user_id", flat=True)) if delegators else set()
        return inbox_for_user(user, acting_position_ids=acting_positions(employee.pk, today()), on_behalf_of_user_ids=delegator_users)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        ids_by_type: dict[str, list[int]] = {}
        for task in page:
            ids_by_type.setdefault(task.document_type, []).append(task.document_id)
        labels = {kind: DOCUMENT_LABELS[kind](ids) for kind, ids in ids_by_type.items() if kind in DOCUMENT_LABELS}
        serializer = self.get_serializer(page, many=True, context={"request": request, "labels": labels})
        return self.get_paginated_response(serializer.data)


class NotificationSerializer(serializers.ModelSerializer):
    message = serializers.SerializerMethodField()
    deliveries = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "message", "document_type", "document_id", "data", "created_at", "read_at", "deliveries"]

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_deliveries(self, notification) -> list[dict]:
        """Per channel: in-app (always delivered: this row), then e-mail and webhooks."""
        return [{"channel": "in_app", "status": "sent"}] + [
            {"channel": d.channel, "status": d.status, "attempts": d.attempts, "error": d.last_error}
            for d in notification.deliveries.all()
        ]

    def get_message(self, notification) -> str:
        return render(notification.event, notification.data, translation.get_language())


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filterset_fields = {"read_at": ["isnull"], "event": ["exact"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user).prefetch_related("deliveries").order_by("-created_at", "-id")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.data["unread_count"] = self.get_queryset().filter(read_at__isnull=True).count()
        return response

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(notification=self.get_object())
        return Response(self.get_serializer(notification).data)
