"""HR's deliveries (e-mail and webhook) of its own agency, and sending a failed one again. A webhook's
deliveries belong to the agency of its endpoint's scope (notifications/selectors.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.request_origin import request_origin
from notifications.models import Delivery
from notifications.resend import delivery_resend
from notifications.selectors import deliveries_listed
from processes.selectors import is_hr
from workflow.errors import NotPermitted

from .idempotent import IdempotentWrites


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="notification.event", read_only=True)
    recipient = serializers.CharField(source="notification.recipient.username", read_only=True)
    endpoint = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = ["id", "channel", "status", "event", "recipient", "endpoint", "attempts", "next_attempt_at", "sent_at",
                  "last_error", "created_at"]

    def get_endpoint(self, delivery) -> str | None:
        return delivery.endpoint.url if delivery.endpoint_id else None


class DeliveryViewSet(IdempotentWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """HR's deliveries: e-mails to the people of its agency and webhook deliveries of endpoints
    registered by HR of its agency (anyone else's: 404). `resend` sends a failed one again."""

    serializer_class = DeliverySerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_hr(request.user):
            raise NotPermitted(_("Only HR sees and resends deliveries."))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        status = self.request.query_params.get("status") or None
        if status is not None and status not in Delivery.Status.values:
            raise ValidationError({"status": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Delivery.Status.values)}]})
        return deliveries_listed(self.request.user, status=status)

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=Delivery.Status.values,
                                                description="`failed`: what waits for a resend")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: DeliverySerializer},
                   description="Send a failed delivery again: back to pending with a new series of attempts, "
                               "audited on the delivery's history. A pending or sent delivery answers 409 "
                               "(`conflict`) and nothing changes.")
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        delivery = delivery_resend(actor=request.user, delivery=self.get_object(), origin=request_origin(request))
        return Response(DeliverySerializer(delivery).data)
