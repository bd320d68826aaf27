"""What every document resource shares: transition actions, history, and (api/idempotent.py)
Idempotency-Key on its writes."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from config.request_origin import request_origin
from config.unavailable import DATABASE_UNAVAILABLE
from processes.selectors.privacy import history_shown
from workflow import audit
from workflow.engine import available_actions, perform
from workflow.errors import WorkflowError

from .idempotent import IdempotentWrites

logger = logging.getLogger(__name__)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class AllowedActionsField(serializers.Field):
    """The actions the requesting user may take on the document now. Per document, so put it on
    detail serializers only: in a list it would cost permission queries per row."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, document) -> list[str]:
        return available_actions(document, self.context["request"].user)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        employee = getattr(user, "employee", None)
        return employee.name if employee else (user.get_full_name() or user.username)


class AuditEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = UserRefSerializer(allow_null=True)
    on_behalf_of = UserRefSerializer(allow_null=True)
    at = serializers.DateTimeField()
    comment = serializers.CharField()
    data = serializers.JSONField()
    channel = serializers.SerializerMethodField()
    hash = serializers.CharField()
    redacted = serializers.BooleanField(default=False, help_text="the data and comment are withheld from you: they carry "
                                                                 "a result not issued yet")

    def get_channel(self, event) -> str:
        return (event.origin or {}).get("channel", "")


def as_json(data):
    """Serializer output as plain JSON values."""
    return json.loads(JSONRenderer().render(data))


def engine_copy(document) -> dict:
    """The document's own columns as the engine locked and changed them, without a query: a
    relation as its key under the relation's name, as the serializers show it."""
    return as_json({field.name: getattr(document, field.attname) for field in document._meta.concrete_fields})


class DocumentActionsMixin(IdempotentWrites):
    """For a ModelViewSet whose get_queryset() holds only the documents the user may see
    (others are 404), and whose detail serializer shows the document after an action."""

    def visible_documents(self):
        """get_queryset(), once per request: its visibility condition runs queries of its own
        (HR scope, acting posts, delegations), and an action may need it twice (a refusal's
        check, the response's read)."""
        if getattr(self, "_visible_documents", None) is None:
            self._visible_documents = self.get_queryset()
        return self._visible_documents

    def action_target(self):
        """The document an action names through the visibility condition, as its key alone (404 if
        the user may not see it): what an action checks when the engine refuses."""
        field = self.lookup_field
        visible = self.visible_documents()
        key_only = visible.select_related(None).prefetch_related(None).only(visible.model._meta.pk.name)
        document = get_object_or_404(key_only, **{field: self.kwargs[self.lookup_url_kwarg or field]})
        self.check_object_permissions(self.request, document)
        return document

    def action_document(self):
        """The document an action names, as a bare instance of its key: the engine locks and reads
        it. A key that cannot be one is a 404, as a document that does not exist is."""
        model = getattr(getattr(self.get_serializer_class(), "Meta", None), "model", None)
        if model is None:  # a viewset whose serializer names no model: look it up the long way
            return self.action_target()
        try:
            pk = model._meta.pk.to_python(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        except DjangoValidationError:
            raise Http404 from None
        return model(pk=pk)

    def document_after_action(self, document):
        """The document as the response shows it: by default read again. A viewset may answer
        with the engine's own copy instead (it has just let the user act as a role holder, who
        sees the document)."""
        return self.visible_documents().get(pk=document.pk)

    def transition(self, request, action: str, *, data: dict | None = None, comment: str | None = None):
        # The visibility condition (HR scope, acting posts, delegations: queries of their own) is
        # only built when the engine refuses: a success means the user holds a role on the
        # document; a refusal says why only to someone who may see it (404 otherwise).
        document = self.action_document()
        if comment is None:
            body = CommentSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            comment = body.validated_data["comment"]
        try:
            result = perform(
                document, action, actor=request.user, comment=comment, data=data or {}, origin=request_origin(request)
            )
        except (WorkflowError, DjangoValidationError, ObjectDoesNotExist):
            self.action_target()  # 404 unless the user may see the document
            raise
        return Response(self.answer_after_commit(result.document))

    def answer_after_commit(self, document) -> dict:
        """The document as the detail serializer shows it, read after the engine committed. If
        the database cannot be read any more, the action still happened: the answer is 200 with
        the engine's own copy (the locked row's fields, ``"partial": true``) rather than a 500
        that would make the client believe it failed; an Idempotency-Key replays that answer."""
        # With an Idempotency-Key the engine's change commits with the key's record, after this:
        # a database that is gone fails that commit too, and the client gets a 503 for an action
        # that did not happen.
        try:
            return self.get_serializer(self.document_after_action(document)).data
        except DATABASE_UNAVAILABLE as error:
            logger.warning("%s %s committed; its answer is the engine's copy (the read after failed: %s)",
                           type(document).__name__, document.pk, error)
            return {**engine_copy(document), "partial": True}

    def history_response(self, request):
        """The document's audit trail, as the reader may see it: an event that carries a result
        not issued to them yet keeps its step, actor and time without its data and comment
        (processes/selectors/privacy.py, as the pages show the history)."""
        document = self.get_object()
        events = history_shown(document, audit.history(document.document_type, document.pk), request.user)
        return Response(AuditEventSerializer(events, many=True).data)
