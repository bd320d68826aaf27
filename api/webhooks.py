"""HR's webhook endpoints of its own agency: registered with their event names, the secret shown
once. Another agency's endpoints do not exist for HR (404)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from config.request_origin import request_origin
from notifications.models import WebhookEndpoint
from notifications.selectors import webhooks_for_hr
from notifications.services import webhook_deactivate, webhook_register
from processes.selectors import is_hr
from workflow.errors import NotPermitted

from .idempotent import IdempotentWrites


class WebhookSerializer(serializers.ModelSerializer):
    """Parsed only: the URL (its scheme, length and address), the event names and the unit are
    checked by webhook_register, as for HR's page."""

    url = serializers.CharField(required=False, allow_blank=True, default="")
    events = serializers.JSONField(required=False, default=list)
    timeout_seconds = serializers.JSONField(required=False, default=None, help_text="1 to 10; 5 by default")
    unit = serializers.JSONField(required=False, default=None, allow_null=True,
                                 help_text="the unit (agency) whose events it receives, within your HR scope; "
                                           "by default the unit you are HR of")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "timeout_seconds", "unit", "is_active", "created_at"]
        read_only_fields = ["is_active", "created_at"]

    def to_representation(self, endpoint):
        return {**super().to_representation(endpoint), "unit": endpoint.unit_id}


class WebhookViewSet(IdempotentWrites, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """HR registers URLs that receive its agency's events as JSON, signed with HMAC-SHA256. The
    secret is shown once, in the answer to POST. DELETE deactivates."""

    serializer_class = WebhookSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_hr(request.user):
            raise NotPermitted(_("Only HR manages webhooks."))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return webhooks_for_hr(self.request.user)

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        endpoint = webhook_register(actor=request.user, url=data["url"], events=data.get("events", []),
                                    timeout_seconds=data.get("timeout_seconds"), unit_id=data.get("unit"),
                                    origin=request_origin(request))
        return Response({**WebhookSerializer(endpoint).data, "secret": endpoint.secret}, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        webhook_deactivate(actor=request.user, endpoint=self.get_object(), origin=request_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
