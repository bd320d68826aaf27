"""The OpenAPI schema as the API behaves (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS).

drf-spectacular describes what the views declare; three things they do not declare are added
here, for every operation at once:

- the error answers of api/errors.py: 400 ``{"errors": {field: [messages]}}`` (any request: a
  bad body, filter or parameter), 401 and 403 ``{"detail"}`` (unless the view is open to all),
  404 (an id in the path), 409 ``{"detail", "code", "status", "allowed_actions"}`` (writes),
  429 (throttled views) and 503 with Retry-After (the database away for a moment);
- a document's history (``GET .../{id}/history/``) is a plain list of audit events, not a page;
- a read-only choice whose model field may be blank (a predicate not given yet, ``changed_by``
  of a result nobody changed) is documented with "" among its values, as it is answered
  (DRF drops ``allow_blank`` from read-only fields, and with it drf-spectacular's blank choice).

tests/api/test_issue14_schema_truth.py checks real answers against the schema.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import authentication, permissions, serializers

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
JSON = ["application/json"]


class BadRequestSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="messages by field (`results[0].title`), `non_field_errors` for the request as a whole",
    )


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ConflictErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["invalid_transition", "conflict"])
    status = serializers.CharField(required=False, allow_null=True, help_text="the document's status now")
    allowed_actions = serializers.ListField(child=serializers.CharField(), required=False,
                                            help_text="what the user may do from that status")


ERRORS = {
    "400": (BadRequestSerializer, "Bad input: what is wrong, by field."),
    "401": (ErrorDetailSerializer, "Not signed in (no or an invalid token or session)."),
    "403": (ErrorDetailSerializer, "Not permitted for this user."),
    "404": (ErrorDetailSerializer, "Not found, or not visible to this user."),
    "409": (ConflictErrorSerializer, "Not possible in the document's state, or a conflicting request (Idempotency-Key)."),
    "429": (ErrorDetailSerializer, "Too many requests: try again later (Retry-After)."),
    "503": (ErrorDetailSerializer, "The database is unavailable for a moment: try again after Retry-After seconds."),
}
HISTORY = ("The document's audit trail, oldest first: each event's action, states, actor (and the official "
           "they stood in for), time, comment, data and hash (the chain of workflow/audit.py).")
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait before trying again"}}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for code in self.error_codes():
            if code in bodies:
                continue
            serializer, description = ERRORS[code]
            body = self._get_response_for_code(OpenApiResponse(serializer, description), code, media_types=JSON)
            if code in ("429", "503"):
                body["headers"] = RETRY_AFTER
            bodies[code] = body
        return bodies

    def error_codes(self) -> list[str]:
        """The error answers this operation can give (see the module's docstring)."""
        open_to_all = any(issubclass(cls, permissions.AllowAny) for cls in getattr(self.view, "permission_classes", []))
        codes = ["400"]
        if not open_to_all:
            codes += ["401", "403"] if _asks_for_credentials(self.view) else ["403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in WRITE_METHODS and not open_to_all:
            codes.append("409")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes + ["503"]

    def is_history(self) -> bool:
        """DocumentActionsMixin.history_response: every event of the document, unpaged, unfiltered."""
        return getattr(self.view, "action", None) == "history"

    def _get_paginator(self):
        return None if self.is_history() else super()._get_paginator()

    def get_filter_backends(self):
        return [] if self.is_history() else super().get_filter_backends()

    def get_description(self):
        if self.is_history():
            return HISTORY
        return super().get_description()

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(schema, dict) and "" not in schema.get("enum", [""]) and _blank_in_the_model(field):
            schema = {**schema, "enum": [*schema["enum"], ""]}
        return schema


def _asks_for_credentials(view) -> bool:
    """DRF answers "not signed in" with 401 only when the view's first authenticator names a
    scheme (WWW-Authenticate); with the session first it is a 403."""
    classes = getattr(view, "authentication_classes", [])
    return bool(classes) and classes[0].authenticate_header is not authentication.BaseAuthentication.authenticate_header


def _blank_in_the_model(field) -> bool:
    """A read-only choice of a model serializer whose model field allows blank."""
    if not (isinstance(field, serializers.ChoiceField) and field.read_only):
        return False
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False
