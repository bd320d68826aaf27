"""The API's request parsers (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): bad bodies are a 400.

DRF's own JSON parser hands a deeply nested body to ``json.load``, whose RecursionError was a 500,
and reads a body of any size. These read at most ``KINERJA_JSON_MAX_BYTES`` (a form's fields too;
a file is limited by the rule set's evidence size), refuse JSON nested deeper than
``KINERJA_JSON_MAX_DEPTH``, text that is not in the declared encoding (UTF-8 by default),
numbers that are not finite, and, in every key and value, text the database cannot store
(``processes.services.checks.text_problem``: NUL, control characters, lone surrogates). The
refusal is a 400 ``{"errors": {where: [message]}}``, ``where`` written as the services key their
errors (``results[0].indicators[1].target``), or ``non_field_errors`` for the body as a whole.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ValidationError
from rest_framework.utils import json

from processes.services.checks import text_problem

WHOLE_BODY = "non_field_errors"
MAX_REPORTED = 20  # a body with thousands of bad strings is refused with the first few named


def max_bytes() -> int:
    return settings.KINERJA_JSON_MAX_BYTES


def max_depth() -> int:
    return settings.KINERJA_JSON_MAX_DEPTH


def refuse(message: str, where: str = WHOLE_BODY):
    raise ValidationError({where: [message]})


def too_large(limit: int) -> str:
    return _("The request body is larger than %(limit)s.") % {"limit": filesizeformat(limit)}


def too_many_fields() -> str:
    return _("The form has too many fields or files.")


def read_limited(stream) -> bytes:
    """The body, refused once it is longer than the limit (read no further than one byte past).
    Django's DATA_UPLOAD_MAX_MEMORY_SIZE (the same number by default) refuses a body whose
    Content-Length says it is larger before it is read (api/errors.py answers that alike)."""
    limit = max_bytes()
    raw = stream.read(limit + 1) if stream is not None else b""
    if len(raw) > limit:
        refuse(too_large(limit))
    return raw


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999 parses as infinity, which JSON (and jsonb) cannot hold
        raise ValueError(_("the number %(number)s is out of range") % {"number": text[:30]})
    return number


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        raw = read_limited(stream)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            refuse(_("The request body is not valid %(encoding)s text.") % {"encoding": encoding.upper()})
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None, parse_float=_finite)
        except RecursionError:
            refuse(too_deep())
        except ValueError as error:
            refuse(_("The request body is not valid JSON: %(reason)s.") % {"reason": error})
        check_tree(data)
        return data


def too_deep() -> str:
    return _("The JSON body is nested more than %(depth)s levels deep.") % {"depth": max_depth()}


def check_tree(data) -> None:
    """Refuse JSON nested deeper than the limit, and keys or strings the database cannot store.
    Iterative, so that no depth of input can exhaust the stack here.

    A string's error is keyed by its path, as the services key theirs: ``results[0].title``; a
    string in a list of strings by the list (``events``, ``invitees``: one field, as the services
    key it), an object's bad key by the object."""
    limit = max_depth()
    errors: dict[str, list[str]] = {}
    pending = [(data, "", 0, "")]  # value, its path, its depth, where its error is reported
    while pending and len(errors) < MAX_REPORTED:
        value, where, depth, reported = pending.pop()
        if isinstance(value, (dict, list)):
            if depth >= limit:
                refuse(too_deep())
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and (problem := text_problem(key)):
                    errors.setdefault(where or WHOLE_BODY, []).append(_("A name in the body: %(problem)s") % {"problem": problem})
                    continue
                inner = f"{where}[{key}]" if isinstance(key, int) else (f"{where}.{key}" if where else key)
                in_list_of_text = isinstance(key, int) and isinstance(item, str)
                pending.append((item, inner, depth + 1, where if in_list_of_text else inner))
        elif isinstance(value, str) and (problem := text_problem(value)):
            messages = errors.setdefault(reported or WHOLE_BODY, [])
            if problem not in messages:
                messages.append(problem)
    if errors:
        raise ValidationError(errors)


def check_fields(data, files=None) -> None:
    """A form's fields and file names: the same refusal as in JSON, keyed by the field's name."""
    errors: dict[str, list[str]] = {}
    for name, values in data.lists():
        if problem := text_problem(name):
            errors.setdefault(WHOLE_BODY, []).append(_("A name in the body: %(problem)s") % {"problem": problem})
            continue
        for value in values:
            if isinstance(value, str) and (problem := text_problem(value)):
                errors.setdefault(name, []).append(problem)
    for name, upload in (files or {}).items():
        if problem := text_problem(upload.name or ""):
            errors.setdefault(name, []).append(_("The file's name: %(problem)s") % {"problem": problem})
    if errors:
        raise ValidationError(errors)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            data = QueryDict(read_limited(stream), encoding=encoding)
        except TooManyFieldsSent:
            refuse(too_many_fields())
        check_fields(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Django's multipart parsing (its DATA_UPLOAD_MAX_MEMORY_SIZE bounds the fields, which the
    settings hold at KINERJA_JSON_MAX_BYTES), then the same checks of text and file names."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except RequestDataTooBig:
            refuse(too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        except (TooManyFieldsSent, TooManyFilesSent):
            refuse(too_many_fields())
        check_fields(parsed.data, parsed.files)
        return parsed
