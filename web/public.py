"""The public feedback form at /f/<token>/: no account, plain and fast on a phone."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from config.request_origin import client_address
from processes.services.public_feedback import (
    COMMENT_MAX,
    STAMP_FIELD,
    TRAP_FIELD,
    Discarded,
    Throttled,
    form_stamp,
    live_link,
    public_feedback_submit,
)


@require_http_methods(["GET", "POST"])
def public_feedback(request: HttpRequest, token: str):
    language = request.GET.get("lang") or request.POST.get("lang")
    if language in ("id", "en"):
        translation.activate(language)
        request.LANGUAGE_CODE = language
    link = live_link(token)  # 404 for an unknown or revoked link
    context = {"link": link, "ratings": range(1, 6), "comment_max": COMMENT_MAX, "errors": {}, "values": {},
               "trap_field": TRAP_FIELD, "stamp_field": STAMP_FIELD, "stamp": form_stamp(link)}
    if request.method == "GET":
        return render(request, "public/feedback_form.html", context)
    try:
        public_feedback_submit(
            link=link, rating=request.POST.get("rating"), comment=request.POST.get("comment", ""),
            language=translation.get_language(), address=client_address(request),
            trap=request.POST.get(TRAP_FIELD, ""), stamp=request.POST.get(STAMP_FIELD, ""),
        )
    except Discarded:
        pass  # a bot's: thanked like anyone, stored nowhere
    except ValidationError as error:
        context.update(errors=error.message_dict, values=request.POST)
        return render(request, "public/feedback_form.html", context, status=400)
    except Throttled as throttled:
        context["throttled"] = throttled.scope
        response = render(request, "public/feedback_throttled.html", context, status=429)
        response["Retry-After"] = str(throttled.wait)
        return response
    return render(request, "public/feedback_thanks.html", context)
