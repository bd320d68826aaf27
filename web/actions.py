"""Running a page's action through the engine (or a service), with the result as a message.

Pages show only what the user may do; this refuses what they may not do anyway, with the
engine's own reason, never a 500.
"""

from __future__ import annotations

from typing import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from workflow.errors import InvalidTransition, NotPermitted


def attempt(request: HttpRequest, call: Callable[[], object], *, success: str) -> dict | None:
    """Run ``call``; on success add ``success`` as a message and return None; on a refusal add
    the reason and return the field errors (for forms that show them in place)."""
    try:
        call()
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        messages.error(request, _("Please correct the errors below."))
        return errors
    except (InvalidTransition, NotPermitted) as error:
        messages.error(request, str(error.message))
        return {}
    messages.success(request, success)
    return None
