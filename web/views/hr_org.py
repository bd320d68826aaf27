"""HR keeps the organisation: importing units, positions and employees from a CSV file (all or
nothing: a file with any error is refused whole, each error with its line), and delegations."""

from __future__ import annotations

import csv

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from org.delegations import delegation_create, delegation_end, delegations_visible_to
from org.importer import COLUMNS, ImportRejected, import_org, read_rows, validate
from org.models import Employee, Position, Unit
from org.services import hr_scope_units

from ..actions import attempt, web_origin
from .hr import EmployeeField, HRForm, add_errors, hr_required, posted_id

MAX_FILE_BYTES = 20 * 1024 * 1024


class ImportForm(HRForm):
    file = forms.FileField(label=gettext_lazy("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))


def outside_scope(user, text: str) -> list[tuple[int, str]]:
    """HR imports within its own scope: existing units, positions and employees the file names
    must lie in the user's units, and a new unit must hang below one of them (or the file's)."""
    if user.is_superuser:
        return []
    try:
        rows = read_rows(text)
    except (csv.Error, ImportRejected):
        return []  # import_org reports what is wrong with the file itself
    scope = set(hr_scope_units(user).values_list("code", flat=True))
    codes = {row.get("unit_code", "") for _line, row in rows} - {""}
    parents = {row.get("parent_unit_code", "") for _line, row in rows} - {""}
    existing_units = set(Unit.objects.filter(code__in=codes | parents).values_list("code", flat=True))
    positions = {row.get("position_code", "") for _line, row in rows} - {""}
    position_units = dict(Position.objects.filter(code__in=positions).values_list("code", "unit__code"))
    nips = {row.get("nip", "") for _line, row in rows} - {""}
    employee_units = dict(Employee.objects.filter(nip__in=nips, position__isnull=False).values_list("nip", "position__unit__code"))
    errors = []
    for line, row in rows:
        code, parent = row.get("unit_code", ""), row.get("parent_unit_code", "")
        if code in existing_units and code not in scope:
            errors.append((line, _("unit %(code)s is outside your HR scope") % {"code": code}))
        elif code and code not in existing_units and parent not in scope and parent not in codes and (
                not parent or parent in existing_units):  # an unknown parent: the importer says so
            errors.append((line, _("new unit %(code)s must be placed below a unit of your HR scope") % {"code": code}))
        position = row.get("position_code", "")
        if position in position_units and position_units[position] not in scope:
            errors.append((line, _("position %(code)s is outside your HR scope") % {"code": position}))
        nip = row.get("nip", "")
        if nip in employee_units and employee_units[nip] not in scope:
            errors.append((line, _("employee %(nip)s works outside your HR scope") % {"nip": nip}))
    return errors


def _import(request, upload) -> dict:
    if upload.size > MAX_FILE_BYTES:
        return {"errors": [(0, _("The file is larger than 20 MB."))]}
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return {"errors": [(0, _("The file is not UTF-8 text; save it as CSV UTF-8."))]}
    try:
        errors = outside_scope(request.user, text)
        if errors:  # with what else is wrong in the file, so that one upload shows it all
            raise ImportRejected(sorted(set(errors) | set(validate(read_rows(text)).errors)))
        report = import_org(text)
    except ImportRejected as rejected:
        return {"errors": rejected.errors}
    kinds = [("units", _("Units")), ("positions", _("Positions")), ("employees", _("Employees"))]
    return {"report": [{"kind": label, "created": report.created[k], "updated": report.updated[k], "unchanged": report.unchanged[k]}
                       for k, label in kinds]}


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
        action, origin = request.POST.get("action"), web_origin(request)
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
