"""``Idempotency-Key`` on every write of the API: a retried request replays the first answer.

Every API view that accepts POST, PUT, PATCH or DELETE inherits ``IdempotentWrites`` (document
viewsets through ``DocumentActionsMixin``); tests/api/test_idempotency_everywhere.py walks the
URL configuration and fails for a write route without it.

The rule, for an authenticated user's write that carries the header:

- the handler runs inside ``workflow.idempotency.run_once``: the key's record and the change are
  written in one transaction;
- a success (2xx) is kept: the same key again, on the same method and path, answers the same
  status and JSON body and changes nothing; on another method or path it is a 409 ``conflict``;
- a refusal or failure (4xx, 5xx) keeps nothing and rolls back what the handler began, so a
  corrected retry with the same key runs;
- a key longer than 255 characters is a 400; keys belong to their user.

A success whose answer is not JSON data (a file) is kept with its status alone and replayed
without a body. The token login (``POST /api/v1/auth/token/``) is anonymous, so no user owns a
key there: it does not take part.
"""

from __future__ import annotations

import json
from functools import partial

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from workflow.idempotency import KEY_MAX_LENGTH, run_once

HEADER = "Idempotency-Key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FINGERPRINT_MAX_LENGTH = 500


class IdempotentWrites:
    """Mixed into a DRF view before its DRF base classes."""

    idempotent_writes = True  # what the URL-walking test looks for, with the class itself

    def initial(self, request, *args, **kwargs):
        # DRF looks the handler up after initial(): wrapping it here keeps authentication,
        # permissions and throttles ahead of the key, and DRF's exception handling around it.
        super().initial(request, *args, **kwargs)
        key = idempotency_key(request)
        if key is None:
            return
        method = request.method.lower()
        handler = getattr(self, method, None)
        if handler is not None:
            setattr(self, method, partial(self._answer_once, handler, key))

    def _answer_once(self, handler, key: str, request, *args, **kwargs):
        first = {}

        def call():
            response = handler(request, *args, **kwargs)
            first["response"] = response
            return response.status_code, _body_of(response)

        status_code, body = run_once(
            user=request.user, key=key, fingerprint=f"{request.method} {request.path}"[:_FINGERPRINT_MAX_LENGTH], call=call
        )
        if "response" in first:
            return first["response"]  # this request ran: its own response, headers and all
        return Response(body, status=status_code, headers={"Idempotent-Replayed": "true"})


def idempotency_key(request) -> str | None:
    """The request's key, if it is a write of an authenticated user that carries one."""
    key = request.headers.get(HEADER)
    if not key or request.method not in WRITE_METHODS or not request.user.is_authenticated:
        return None
    if len(key) > KEY_MAX_LENGTH:
        raise ValidationError({HEADER: [_("At most %(n)s characters.") % {"n": KEY_MAX_LENGTH}]})
    return key


def _body_of(response):
    data = getattr(response, "data", None)
    if data is None:
        return None
    try:
        return json.loads(JSONRenderer().render(data))  # what a replay must show: the JSON sent
    except (TypeError, ValueError):
        return None  # not JSON data: the status alone is kept
