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
from processes.labels import labels_of
from processes.selectors import notifications_for, open_tasks_for, unread_count
from processes.selectors.privacy import RESULT_DATA_KEYS, notifications_withheld
from workflow.models import OpenTask

from .idempotent import IdempotentWrites


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
        return open_tasks_for(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        labels = labels_of((task.document_type, task.document_id) for task in page)
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
        return render(notification.event, self._data(notification), translation.get_language())

    def _data(self, notification) -> dict:
        """The notice's data, without the keys that name a result the reader may not see yet
        (processes/selectors/privacy.py): the message then reads without them."""
        if notification.pk in self.context.get("withheld", ()):
            return {key: value for key, value in (notification.data or {}).items() if key not in RESULT_DATA_KEYS}
        return notification.data

    def to_representation(self, notification):
        return {**super().to_representation(notification), "data": self._data(notification)}


class NotificationViewSet(IdempotentWrites, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filterset_fields = {"read_at": ["isnull"], "event": ["exact"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notifications_for(self.request.user).prefetch_related("deliveries")

    def _serialize(self, notifications, **kwargs):
        withheld = notifications_withheld(notifications, self.request.user)
        return self.get_serializer(notifications, context={**self.get_serializer_context(), "withheld": withheld}, **kwargs).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        response = self.get_paginated_response(self._serialize(page, many=True))
        response.data["unread_count"] = unread_count(request.user)
        return response

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(notification=self.get_object())
        return Response(self._serialize([notification], many=True)[0])
