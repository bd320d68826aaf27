"""The input checks the services share: lengths, choices and who may act, with one wording each.

The API's serializers and the pages' forms only parse (types, ids); the services check with
these, so both interfaces refuse the same input with the same reason.
"""

from __future__ import annotations

import re
from typing import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from workflow.errors import NotPermitted

# NUL is refused by PostgreSQL in text (a 500 if it got there). The other control characters
# (C0, DEL and C1) but tab, line feed and carriage return: nobody types them, and they hide text
# from a reader. Lone UTF-16 surrogates (what a JSON "\ud800" escape decodes to) cannot be encoded
# as UTF-8: the database driver fails on them (a 500 too).
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` may not be stored as text (a NUL, which PostgreSQL refuses; a control
    character; a lone surrogate), or None: the one rule of the services, the API's parsers and
    the query-string guard (config/input_guard.py)."""
    if "\x00" in value:
        return _("Null characters are not allowed.")
    if _CONTROL.search(value):
        return _("Control characters are not allowed (tabs and line breaks are).")
    if _SURROGATE.search(value):
        return _("The text holds an invalid character (a lone surrogate).")
    return None


class Errors:
    """Field errors gathered while checking one command's input; ``raise_any`` raises them all."""

    def __init__(self):
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(str(message))

    def text(self, field: str, value, *, max_length: int, required: str | None = None) -> str:
        """``value`` stripped; an error if it is not text, longer than ``max_length`` or (with
        ``required``, the message) empty."""
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(field, _("Write text."))
            return ""
        value = value.strip()
        if len(value) > max_length:
            self.add(field, _("Write at most %(max)s characters (%(length)s given).") % {"max": max_length, "length": len(value)})
        elif required and not value:
            self.add(field, required)
        elif problem := text_problem(value):  # a 400 here, not a 500 in the database
            self.add(field, problem)
        return value

    def choice(self, field: str, value, choices: Iterable[str], message: str, *, blank: bool = False) -> str:
        value = "" if value is None else value
        if not (isinstance(value, str) and (value in choices or (blank and value == ""))):
            self.add(field, message)
            return ""
        return value

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def require_role(document, actor, role: str, action: str) -> None:
    """Refuse an actor without ``role`` on ``document`` before their input is looked at (a
    stranger is told 403, not asked to correct the body), with the engine's own wording."""
    if document.flow_class(document).authorize(actor, role) is None:
        label = document.flow_class.action_label(action)
        raise NotPermitted(_("You may not “%(action)s” this document.") % {"action": label})
