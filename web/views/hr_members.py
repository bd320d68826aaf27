"""HR corrects an employee's rater for a cycle (/hr/cycles/<id>/members/): the "wrong superior"
case. The correction moves the open tasks, is audited and notifies both raters (the service)."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from org.models import Employee
from org.services import units_within
from processes.models import CycleMember
from processes.services.cycles import member_correct_reporting_line

from ..actions import attempt
from .hr import EmployeeField, HRForm, add_errors, hr_required, posted_id
from .hr_cycle import hr_cycle


class CorrectionForm(HRForm):
    rater = EmployeeField(label=gettext_lazy("New rater"))
    raters_superior = EmployeeField(label=gettext_lazy("Rater's superior"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, member: CycleMember, **kwargs):
        kwargs.setdefault("auto_id", f"id_%s_{member.pk}")
        if not args and "initial" not in kwargs:
            kwargs["initial"] = {"rater": member.rater.nip if member.rater else "",
                                 "raters_superior": member.raters_superior.nip if member.raters_superior else ""}
        super().__init__(*args, **kwargs)
        for name in ("rater", "raters_superior"):
            self.fields[name].widget.attrs["list"] = "officials"


def _members(cycle, query: str):
    members = (CycleMember.objects.filter(cycle=cycle)
               .select_related("employee", "unit", "position", "rater", "raters_superior")
               .order_by("unit__path", "employee__name", "id"))
    if query:
        members = members.filter(Q(employee__name__icontains=query) | Q(employee__nip__startswith=query)
                                 | Q(rater__name__icontains=query) | Q(unit__name__icontains=query))
    return members


def _officials(cycle):
    """Who usually rates: unit leaders and holders of positions with subordinates, in scope."""
    return (Employee.objects.filter(is_active=True, position__unit__in=units_within(cycle.units.all()))
            .filter(Q(position__is_unit_leader=True) | Q(position__subordinates__isnull=False))
            .distinct().order_by("name")[:500])


@hr_required
@require_http_methods(["GET", "POST"])
def cycle_members(request, pk: int):
    cycle = hr_cycle(request, pk)
    query = request.GET.get("q", "").strip()[:100]
    posted, status = None, 200
    if request.method == "POST":
        member = CycleMember.objects.select_related("unit", "employee").filter(cycle=cycle, pk=posted_id(request, "member")).first()
        if member is None:
            raise Http404(_("No such member of the cycle."))
        form = CorrectionForm(request.POST, member=member)
        if form.is_valid():
            data = form.cleaned_data
            errors = attempt(request, lambda: member_correct_reporting_line(
                member=member, actor=request.user, rater=data["rater"], raters_superior=data["raters_superior"],
                reason=data["reason"], origin=request_origin(request),
            ), success=_("The rater of %(employee)s is corrected; the open tasks moved.") % {"employee": member.employee.name})
            if errors is None:
                return redirect(request.get_full_path())
            add_errors(form, errors)
            status = 400 if errors else 403
        else:
            status = 400
        posted = (member.pk, form)
    page = Paginator(_members(cycle, query), 25).get_page(request.GET.get("page"))
    for member in page:
        member.form = posted[1] if posted and posted[0] == member.pk else CorrectionForm(member=member)
    return render(request, "web/hr/cycle_members.html",
                  {"cycle": cycle, "page": page, "query": query, "officials": _officials(cycle)}, status=status)
