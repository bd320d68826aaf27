"""The answer to a locked-out sign-in (django-axes' ``AXES_LOCKOUT_CALLABLE``).

axes' middleware calls it when a sign-in through Django's login forms (the login page, the
admin's login) was refused as locked out (accounts/lockout.py): the login page again, with the
lock-out message in the visitor's language, status 429. A request under the API gets the API's
errors shape (the token endpoint answers this itself; this is the same answer for any other)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from accounts.lockout import cool_off, lockout_message

API_PREFIX = "/api/"
STATUS = 429


def lockout_response(request, original_response=None, credentials=None):
    message = lockout_message()
    retry_after = str(int(cool_off().total_seconds()))
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"errors": {"non_field_errors": [message]}}, status=STATUS, headers={"Retry-After": retry_after})
    response = render(request, "registration/login.html", {"locked_out": message, "next": request.POST.get("next", "")}, status=STATUS)
    response["Retry-After"] = retry_after
    return response
