"""My notification preferences, my delegations, and HR's webhooks."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from config.request_origin import request_origin
from notifications.models import NotificationPreference, WebhookEndpoint
from notifications.services import webhook_deactivate, webhook_register
from org.delegations import delegation_create, delegation_end, delegations_visible_to
from org.models import Delegation, Employee
from processes.selectors import is_hr
from workflow.errors import NotPermitted

from .idempotent import IdempotentWrites
from .plans import EmployeeRefSerializer


class PreferencesSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(read_only=True, help_text="Always on: the inbox itself.")
    email = serializers.BooleanField()


class PreferencesView(IdempotentWrites, APIView):
    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        preference, _created = NotificationPreference.objects.get_or_create(user=request.user)
        return Response({"in_app": True, "email": preference.email})

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def patch(self, request):
        body = PreferencesSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        preference, _created = NotificationPreference.objects.get_or_create(user=request.user)
        if "email" in body.validated_data:
            preference.email = body.validated_data["email"]
            preference.save(update_fields=["email"])
        return Response({"in_app": True, "email": preference.email})


class DelegationSerializer(serializers.ModelSerializer):
    delegator = EmployeeRefSerializer(read_only=True)
    delegate = EmployeeRefSerializer(read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = ["id", "delegator", "delegate", "start", "end", "reason", "ended_at", "created_at", "active"]

    def get_active(self, delegation) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return delegation.ended_at is None and delegation.start <= today <= delegation.end


class DelegationCreateSerializer(serializers.Serializer):
    delegate = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    start = serializers.DateField()
    end = serializers.DateField()
    reason = serializers.CharField(max_length=500)
    delegator = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all(), required=False,
                                                   help_text="HR only: whose tasks; yourself by default")


class DelegationViewSet(IdempotentWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Delegations I gave or received (HR: its scope). DELETE ends one early."""

    serializer_class = DelegationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delegation.objects.none()
        return delegations_visible_to(self.request.user)

    @extend_schema(request=DelegationCreateSerializer, responses=DelegationSerializer)
    def create(self, request):
        body = DelegationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        delegation = delegation_create(actor=request.user, origin=request_origin(request), **body.validated_data)
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        delegation = delegation_end(delegation=self.get_object(), actor=request.user, origin=request_origin(request))
        return Response(DelegationSerializer(delegation).data)


class WebhookSerializer(serializers.ModelSerializer):
    """Parsed only: the URL's scheme and length and the event names are checked by
    webhook_register, as for HR's page."""

    url = serializers.CharField(required=False, allow_blank=True, default="")
    events = serializers.JSONField(required=False, default=list)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "is_active", "created_at"]
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
        endpoint = webhook_register(actor=request.user, url=body.validated_data["url"], events=body.validated_data.get("events", []))
        return Response({**WebhookSerializer(endpoint).data, "secret": endpoint.secret}, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        webhook_deactivate(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
