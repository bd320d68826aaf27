"""HR keeps the organisation: importing units, positions and employees from a CSV or XLSX file (all
or nothing: a file with any error is refused whole, each error with its line; the people who join,
move or leave change the open cycles' plans), and delegations."""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from org.delegations import delegation_create, delegation_end, delegations_visible_to
from org.importer import COLUMNS, ImportRejected
from org.models import Position
from org.services import hr_scope_units
from processes.services.org_import import import_org

from ..actions import attempt
from .hr import EmployeeField, HRForm, add_errors, hr_required, posted_id

MAX_FILE_BYTES = 20 * 1024 * 1024


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(HRForm):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"),
                           widget=forms.ClearableFileInput(attrs={"accept": f".csv,.xlsx,text/csv,{XLSX}"}))


def _import(request, upload) -> dict:
    if upload.size > MAX_FILE_BYTES:
        return {"errors": [(0, _("The file is larger than 20 MB."))]}
    try:
        report = import_org(upload.read(), filename=upload.name or "", actor=request.user, origin=request_origin(request))
    except ImportRejected as rejected:
        return {"errors": rejected.errors}
    kinds = [("units", _("Units")), ("positions", _("Positions")), ("employees", _("Employees"))]
    return {"report": [{"kind": label, "created": report.created[k], "updated": report.updated[k], "unchanged": report.unchanged[k]}
                       for k, label in kinds],
            "people": {"joined": report.joined, "moved": report.moved, "left": report.left}}


@hr_required
@require_http_methods(["GET", "POST"])
def org_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    context, status = {"form": form, "columns": COLUMNS}, 200
    if request.method == "POST":
        if form.is_valid():
            context.update(_import(request, form.cleaned_data["file"]))
            status = 400 if context.get("errors") else 200
        else:
            status = 400
    return render(request, "web/hr/org_import.html", context, status=status)


class DelegationForm(HRForm):
    delegator = EmployeeField(label=gettext_lazy("Whose tasks (delegator)"))
    delegate = EmployeeField(label=gettext_lazy("To whom (delegate)"))
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


@hr_required
@require_http_methods(["GET", "POST"])
def delegations(request):
    form = DelegationForm(request.POST if request.POST.get("action") == "create" else None,
                          initial={"start": timezone.localdate()})
    status = 200
    if request.method == "POST":
        action, origin = request.POST.get("action"), request_origin(request)
        if action == "end":
            delegation = get_object_or_404(delegations_visible_to(request.user), pk=posted_id(request, "delegation"))
            errors = attempt(request, lambda: delegation_end(delegation=delegation, actor=request.user, origin=origin),
                             success=_("The delegation has ended."))
            if errors is None:
                return redirect("hr-delegations")
            status = 409
        elif form.is_valid():
            data = form.cleaned_data
            errors = attempt(request, lambda: delegation_create(
                actor=request.user, delegator=data["delegator"], delegate=data["delegate"], start=data["start"],
                end=data["end"], reason=data["reason"], origin=origin,
            ), success=_("The delegation is recorded; the delegate is notified."))
            if errors is None:
                return redirect("hr-delegations")
            add_errors(form, errors)
            status = 400 if errors else 403
        else:
            status = 400
    today = timezone.localdate()
    rows = list(delegations_visible_to(request.user)[:200])
    scope = set(hr_scope_units(request.user).values_list("pk", flat=True))
    units = dict(Position.objects.filter(pk__in=[d.delegator.position_id for d in rows]).values_list("pk", "unit_id"))
    for delegation in rows:
        # Ended early by the delegator or HR of the delegator's unit (not by the delegate).
        delegation.active = delegation.ended_at is None and delegation.end >= today
        delegation.may_end = delegation.active and (
            delegation.delegator.user_id == request.user.pk or units.get(delegation.delegator.position_id) in scope)
    return render(request, "web/hr/delegations.html", {"form": form, "delegations": rows}, status=status)
