"""HR's service accounts (integrations with scoped tokens), and HR revoking a person's tokens.

Both answer HR alone (403 for anyone else, before the body is read) and only within HR's scope:
an account or a user of another agency is a 404."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import ApiToken, ServiceAccount
from accounts.service_accounts import (
    service_account_create,
    service_account_deactivate,
    service_account_token_issue,
    service_accounts_visible_to,
    user_tokens_revoke,
    users_in_hr_scope,
)
from accounts.tokens import IssuedToken
from config.request_origin import request_origin
from org.models import Unit
from org.services import is_hr
from workflow.errors import NotPermitted

from .idempotent import IdempotentWrites


class LiveTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["prefix", "created_at", "expires_at"]


class ServiceAccountSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    scopes = serializers.SerializerMethodField()
    tokens = serializers.SerializerMethodField(help_text="the live tokens, by the first characters of their keys")

    class Meta:
        model = ServiceAccount
        fields = ["id", "name", "username", "unit", "scopes", "created_at", "deactivated_at", "tokens"]

    def get_scopes(self, account) -> list[str]:
        return sorted(account.scope_set)

    @extend_schema(responses=LiveTokenSerializer(many=True))
    def get_tokens(self, account) -> list[dict]:
        return LiveTokenSerializer(account.user.live_tokens, many=True).data


class ServiceAccountCreateSerializer(serializers.Serializer):
    """Parsed only: service_account_create checks the values (an unknown unit and one outside
    the scope are refused alike)."""

    name = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    unit = serializers.IntegerField(required=False, allow_null=True, default=None)
    scopes = serializers.ListField(child=serializers.CharField(), required=False, default=list, help_text="read, webhooks")
    expires_in_days = serializers.IntegerField(required=False, allow_null=True, default=None)


class TokenIssueSerializer(serializers.Serializer):
    expires_in_days = serializers.IntegerField(required=False, allow_null=True, default=None)


NewKey = inline_serializer("NewKey", {
    "key": serializers.CharField(help_text="shown this once: only its hash is kept"),
    "prefix": serializers.CharField(),
    "expires_at": serializers.DateTimeField(),
})


def new_key(issued: IssuedToken) -> dict:
    return {"key": issued.key, "prefix": issued.token.prefix, "expires_at": issued.token.expires_at}


class HrOnly:
    """Refuse anyone but HR (or a superuser) before the body or the object is looked at."""

    hr_only_message = _("Only HR manages service accounts.")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_hr(request.user):
            raise NotPermitted(self.hr_only_message)


class ServiceAccountViewSet(IdempotentWrites, HrOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Service accounts of HR's scope. POST creates one with its first token; the key is shown
    once. ``tokens`` issues another (to rotate); ``deactivate`` ends the account and its tokens."""

    serializer_class = ServiceAccountSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceAccount.objects.none()
        live = ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by("created_at")
        return service_accounts_visible_to(self.request.user).prefetch_related(
            Prefetch("user__api_tokens", queryset=live, to_attr="live_tokens")).order_by("name", "id")

    @extend_schema(request=ServiceAccountCreateSerializer,
                   responses={201: inline_serializer("NewServiceAccount", {"account": ServiceAccountSerializer(), "token": NewKey})})
    def create(self, request):
        body = ServiceAccountCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        unit = Unit.objects.filter(pk=values["unit"]).first() if values["unit"] is not None else None
        account, issued = service_account_create(actor=request.user, name=values["name"], unit=unit, scopes=values["scopes"],
                                                 expires_in_days=values["expires_in_days"], origin=request_origin(request))
        account = self.get_queryset().get(pk=account.pk)
        return Response({"account": ServiceAccountSerializer(account).data, "token": new_key(issued)}, status=status.HTTP_201_CREATED)

    @extend_schema(request=TokenIssueSerializer, responses={201: NewKey})
    @action(detail=True, methods=["post"])
    def tokens(self, request, pk=None):
        account = self.get_object()
        body = TokenIssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issued = service_account_token_issue(actor=request.user, account=account, expires_in_days=body.validated_data["expires_in_days"],
                                             origin=request_origin(request))
        return Response(new_key(issued), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ServiceAccountSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        account = service_account_deactivate(actor=request.user, account=self.get_object(), origin=request_origin(request))
        return Response(ServiceAccountSerializer(self.get_queryset().get(pk=account.pk)).data)


class UserTokensViewSet(IdempotentWrites, HrOnly, viewsets.GenericViewSet):
    """``POST /users/{id}/revoke-tokens/``: HR revokes every token of a person of its scope
    (their sign-ins and, for a service account, its keys)."""

    hr_only_message = _("Only HR may revoke the tokens of others.")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return get_user_model().objects.none()
        return users_in_hr_scope(self.request.user)

    @extend_schema(request=None, responses=inline_serializer("TokensRevoked", {"revoked": serializers.IntegerField()}))
    @action(detail=True, methods=["post"], url_path="revoke-tokens", url_name="revoke-tokens")
    def revoke_tokens(self, request, pk=None):
        revoked = user_tokens_revoke(actor=request.user, user=self.get_object(), origin=request_origin(request))
        return Response({"revoked": revoked})
