"""HR's webhook endpoints: registered with their event names, the secret shown once."""

from __future__ import annotations

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from notifications.models import WebhookEndpoint
from notifications.services import webhook_deactivate, webhook_register
from processes.selectors import is_hr
from workflow.errors import NotPermitted

from .idempotent import IdempotentWrites


class WebhookSerializer(serializers.ModelSerializer):
    """Parsed only: the URL's scheme and length and the event names are checked by
    webhook_register, as for HR's page."""

    url = serializers.CharField(required=False, allow_blank=True, default="")
    events = serializers.JSONField(required=False, default=list)
    timeout_seconds = serializers.JSONField(required=False, default=None, help_text="1 to 10; 5 by default")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "timeout_seconds", "is_active", "created_at"]
        read_only_fields = ["is_active", "created_at"]


class WebhookViewSet(IdempotentWrites, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """HR registers URLs that receive events as JSON, signed with HMAC-SHA256. The secret is shown
    once, in the answer to POST. DELETE deactivates."""

    serializer_class = WebhookSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_hr(request.user):
            raise NotPermitted("Only HR manages webhooks.")

    def get_queryset(self):
        return WebhookEndpoint.objects.filter(is_active=True).order_by("id")

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = webhook_register(actor=request.user, url=body.validated_data["url"], events=body.validated_data.get("events", []),
                                    timeout_seconds=body.validated_data.get("timeout_seconds"))
        return Response({**WebhookSerializer(endpoint).data, "secret": endpoint.secret}, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        webhook_deactivate(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
