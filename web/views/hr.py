"""HR's pages (/hr/): what they share, and the cycles list with the form that creates one.

Only users with the HR role (or superusers) reach these pages; everybody else gets 403. Within
them each service still checks HR's scope (the units a cycle, a member or a link belongs to).
The cycle page is in hr_cycle.py, the organisation and delegations in hr_org.py, webhooks and
public feedback links in hr_links.py.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.request_origin import request_origin
from org.models import Employee
from org.services import hr_scope_units
from processes.models import Cycle
from processes.selectors import is_hr
from processes.services.cycles import cycle_create

from ..forms.base import add_service_errors, run_service
from ..forms.cycles import CycleForm


def hr_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_hr(request.user):
            raise PermissionDenied(_("Only HR may use these pages."))
        return view(request, *args, **kwargs)

    return wrapper


def posted_id(request, name: str) -> int:
    """An id from the form (0, found nowhere, for anything but digits)."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else 0


def add_errors(form: forms.Form, errors: dict) -> None:
    """A service's field errors onto the form's fields (the others above the form)."""
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class HRForm(forms.Form):
    """A form whose labels carry no colon and whose errors sit under each field."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class EmployeeField(forms.CharField):
    """An employee by NIP (18 digits): a select of tens of thousands would not serve a phone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("help_text", gettext_lazy("NIP, 18 digits"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self, value):
        nip = super().clean(value)
        if not nip:
            return None
        employee = Employee.objects.select_related("position__unit", "user").filter(nip=nip.strip()).first()
        if employee is None:
            raise forms.ValidationError(_("No employee has the NIP %(nip)s.") % {"nip": nip})
        return employee


def hr_cycles_queryset(user):
    cycles = Cycle.objects.prefetch_related("units").order_by("-year", "name", "id")
    if user.is_superuser:
        return cycles
    return cycles.filter(pk__in=Cycle.objects.filter(units__in=hr_scope_units(user)).values("pk"))


@hr_required
def cycles(request):
    form = CycleForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data, created = form.cleaned_data, {}

            def create():
                created["cycle"] = cycle_create(actor=request.user, name=data["name"], year=data["year"], units=data["units"],
                                                plan_deadline=data["plan_deadline"], period_type=data["period_type"],
                                                deciding_official=data.get("deciding_official"), origin=request_origin(request))

            errors, status = run_service(request, create, success=_("The cycle is created. Open it to create the plans."))
            if errors is None:
                return redirect("cycle-detail", pk=created["cycle"].pk)
            add_service_errors(form, errors)
    return render(request, "web/hr/cycles.html", {"form": form, "cycles": hr_cycles_queryset(request.user)}, status=status)
