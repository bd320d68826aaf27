"""HR's links to the outside: webhooks (signed JSON for other systems; the secret is shown once)
and the public feedback links (issued per unit or per employee at a counter, printable as QR)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from config.request_origin import request_origin
from notifications.selectors import webhooks_for_hr
from notifications.services import webhook_deactivate, webhook_register
from org.models import Unit
from org.services import hr_scope_units
from processes.models import PublicFeedbackLink
from processes.services.public_feedback import link_issue, link_revoke

from ..actions import attempt
from ..forms.base import add_service_errors, run_service
from ..forms.webhooks import WebhookForm
from .hr import EmployeeField, HRForm, add_errors, hr_required, posted_id


@hr_required
@require_http_methods(["GET", "POST"])
def webhooks(request):
    form = WebhookForm(request.POST if request.POST.get("action") == "register" else None, user=request.user)
    created, status = None, 200
    if request.method == "POST":
        if request.POST.get("action") == "deactivate":
            endpoint = get_object_or_404(webhooks_for_hr(request.user), pk=posted_id(request, "endpoint"))
            webhook_deactivate(actor=request.user, endpoint=endpoint, origin=request_origin(request))
            messages.success(request, _("The webhook is deactivated: it receives nothing more."))
            return redirect("hr-webhooks")
        status = 400
        if form.is_valid():
            registered = []
            errors, status = run_service(
                request, lambda: registered.append(webhook_register(
                    actor=request.user, url=form.cleaned_data["url"], events=form.cleaned_data["events"],
                    unit_id=form.cleaned_data["unit"].pk if form.cleaned_data["unit"] else None, origin=request_origin(request))),
                success=None)  # the page itself shows the new endpoint and its secret
            if errors is None:
                created = registered[0]
                form = WebhookForm(user=request.user)  # the secret is in this answer only: nothing to re-post
            else:
                add_service_errors(form, errors)
    endpoints = webhooks_for_hr(request.user)  # its own agency's only
    return render(request, "web/hr/webhooks.html", {"form": form, "endpoints": endpoints, "created": created}, status=status)


class LinkForm(HRForm):
    unit = forms.ModelChoiceField(label=gettext_lazy("Service unit"), queryset=Unit.objects.none(), required=False)
    employee = EmployeeField(label=gettext_lazy("Or an employee at a service counter"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = hr_scope_units(user).order_by("path")

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("unit") is None) == (data.get("employee") is None):
            raise forms.ValidationError(_("Choose either a unit or an employee."))
        return data


def _links(user):
    return PublicFeedbackLink.objects.filter(unit__in=hr_scope_units(user)).select_related("unit", "employee")


@hr_required
@require_http_methods(["GET", "POST"])
def public_links(request):
    action = request.POST.get("action")
    form = LinkForm(request.POST if action == "issue" else None, user=request.user)
    status = 200
    if request.method == "POST":
        if action == "revoke":
            link = get_object_or_404(_links(request.user), pk=posted_id(request, "link"))
            errors = attempt(request, lambda: link_revoke(link=link, actor=request.user, origin=request_origin(request)),
                             success=_("The link is revoked: it no longer accepts feedback."))
            if errors is None:
                return redirect("hr-links")
            status = 403
        elif form.is_valid():
            issued = {}

            def issue():
                issued["link"] = link_issue(actor=request.user, unit=form.cleaned_data["unit"], employee=form.cleaned_data["employee"],
                                             origin=request_origin(request))

            errors = attempt(request, issue, success=_("The link is issued; an earlier link of the same service is revoked."))
            if errors is None:
                return redirect("hr-link-print", pk=issued["link"].pk)
            add_errors(form, errors)
            status = 400 if errors else 403
        else:
            status = 400
    links = list(_links(request.user).order_by("revoked_at", "-created_at")[:200])
    return render(request, "web/hr/public_links.html", {"form": form, "links": links}, status=status)


@hr_required
@require_GET
def public_link_print(request, pk: int):
    link = get_object_or_404(_links(request.user), pk=pk)
    if link.revoked_at is not None:
        raise Http404(_("The link is revoked."))
    return render(request, "web/hr/public_link_print.html", {
        "link": link, "url": request.build_absolute_uri(reverse("public-feedback", args=[link.token])),
        "qr": reverse("public-link-qr", args=[link.pk]),
    })
