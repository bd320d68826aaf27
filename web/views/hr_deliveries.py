"""HR's failed deliveries (e-mails and webhooks of its own agency), each with a resend button."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from notifications.models import Delivery
from notifications.resend import delivery_resend
from notifications.selectors import deliveries_for_hr, deliveries_listed

from ..actions import attempt
from .hr import HRForm, hr_required

PAGE_SIZE = 50


class ResendForm(HRForm):
    delivery = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)


@hr_required
@require_http_methods(["GET", "POST"])
def deliveries(request):
    if request.method == "POST":
        form = ResendForm(request.POST)
        if not form.is_valid():
            return render(request, "web/hr/deliveries.html", _context(request), status=400)
        delivery = get_object_or_404(deliveries_for_hr(request.user), pk=form.cleaned_data["delivery"])
        errors = attempt(request, lambda: delivery_resend(actor=request.user, delivery=delivery, origin=request_origin(request)),
                         success=_("The delivery is sent again."))
        if errors is not None:
            return render(request, "web/hr/deliveries.html", _context(request), status=409)
        return redirect("hr-deliveries")
    return render(request, "web/hr/deliveries.html", _context(request))


def _context(request) -> dict:
    page = Paginator(deliveries_listed(request.user, status=Delivery.Status.FAILED), PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "deliveries": page.object_list}
