"""Delegations: the ones a user gave or received, and HR's of its scope; a new one only to a colleague
of the delegator's agency (org/delegations.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from config.request_origin import request_origin
from org.delegations import delegation_create, delegation_end, delegations_visible_to
from org.models import Delegation

from .filters import MAX_ID
from .idempotent import IdempotentWrites
from .plans import EmployeeRefSerializer


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
    """Parsed only: whom one may delegate to (a colleague of one's agency with an account) and for
    whom HR may delegate are the service's rules (delegation_create). The ids are not looked up
    here: "nobody by that id" and "someone you may not choose" must get the same answer."""

    delegate = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                        help_text="the employee id of a colleague of your agency with a user account")
    start = serializers.DateField()
    end = serializers.DateField()
    reason = serializers.CharField(max_length=500)
    delegator = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False,
                                         help_text="HR only: whose tasks (an employee of your HR scope); yourself by default")


class DelegationViewSet(
    IdempotentWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
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
