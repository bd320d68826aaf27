"""One place that turns every error into its HTTP answer; bad input is never a 500.

400 {"errors": {field: [messages]}} (a body that cannot be read too: api/parsers.py); 401/403 {"detail"}; 404 {"detail"};
409 {"detail", "code", "status", "allowed_actions"}; 503 {"detail"} with Retry-After while the
database is unreachable (config/unavailable.py, which answers the pages the same way).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.unavailable import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, database_unavailable_message
from workflow.errors import InvalidTransition, NotPermitted

from .parsers import too_large, too_many_fields


def _errors_of_django(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [str(message) for message in messages] for field, messages in exc.message_dict.items()}
    return {"non_field_errors": [str(message) for message in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return Response({"detail": database_unavailable_message()}, status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, InvalidTransition):
        return Response(
            {"detail": str(exc.message), "code": exc.code, "status": exc.status, "allowed_actions": exc.allowed_actions},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotPermitted):
        return Response({"detail": str(exc.message)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        return Response({"errors": _errors_of_django(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):  # Django's limit, met as DRF reads request.body for api/parsers.py
        return Response({"errors": {"non_field_errors": [too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)]}},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response({"errors": {"non_field_errors": [too_many_fields()]}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):  # a body that cannot be read is bad input like any other
        return Response({"errors": {"non_field_errors": [str(exc.detail)]}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        # Django's message names the model ("No Plan matches the given query.") and is not
        # translated; a 404 says only "not found", in the user's language.
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        detail = response.data
        response.data = {"errors": detail if isinstance(detail, dict) else {"non_field_errors": detail}}
    return response
