"""What the pages' forms share: fields that parse without judging, and running one service."""

from __future__ import annotations

from typing import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from workflow.errors import InvalidTransition, NotPermitted


class CommandForm(forms.Form):
    """A form whose labels carry no colon and whose errors sit under each field."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class TextField(forms.CharField):
    """Text as typed (stripped), never refused here: its length is the service's rule."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class OpenChoiceField(forms.ChoiceField):
    """A select whose options are offered but not judged: the service refuses a value that is
    not one of them, with the same words the API uses."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def valid_value(self, value) -> bool:
        return True


class OpenMultipleChoiceField(forms.MultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def valid_value(self, value) -> bool:
        return True


def parse_id(value) -> int:
    """An id from a form (0, found nowhere, for anything but digits)."""
    value = str(value or "")
    return int(value) if value.isdigit() and len(value) < 19 else 0


class IdField(forms.Field):
    """A document's id; anything but digits is 0, which the service finds nowhere."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> int:
        return parse_id(value)


class IdListField(forms.Field):
    """Ids ticked in a list of checkboxes; what is not digits is left out."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        return [int(v) for v in values if str(v).isdigit() and len(str(v)) < 12]


def add_service_errors(form: forms.Form, errors: dict, rename: dict | None = None) -> None:
    """A service's field errors onto the form's fields (the others above the form)."""
    rename = rename or {}
    for field, found in errors.items():
        field = rename.get(field, field)
        for message in found:
            form.add_error(field if field in form.fields else None, message)


def run_service(request: HttpRequest, call: Callable[[], object], *, success: str | None) -> tuple[dict | None, int]:
    """Run one service call for a page: on success add ``success`` as a message and return
    (None, 200); on a refusal add the reason and return (field errors, HTTP status): 400 for
    input, 403 for the wrong person, 409 for the wrong moment."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, _("Please correct the errors below."))
        return (error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}), 400
    except NotPermitted as error:
        messages.error(request, str(error.message))
        return {}, 403
    except InvalidTransition as error:
        messages.error(request, str(error.message))
        return {}, 409
    if success:
        messages.success(request, success)
    return None, 200


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """A form's own (parsing) errors as a service's would be given: by field."""
    return {field: [str(m) for m in found] for field, found in form.errors.items()}


def place_errors(errors: dict, places: dict) -> list:
    """Put a service's errors (keyed ``results[0].title`` and the like) on the form fields that
    ``places`` maps each key to ((form, field name or None for the form)); the errors no field
    takes are returned, for the page's general message."""
    general = []
    for key, found in errors.items():
        form, field = places.get(key, (None, None))
        if form is None:
            general.extend(found)
            continue
        for message in found:
            form.add_error(field, message)
    return general
