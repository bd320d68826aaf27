"""HR's page of a cycle's members (/hr/cycles/<id>/members/): each plan period with its rater.

HR corrects a wrong rater (the correction keeps the plan), moves an employee to another position
from a date, records that one leaves, and adds an employee who came during the year. The services
(processes/services/cycles.py and membership.py) check and apply each; the page parses and shows."""

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
from notifications.messages import long_date
from org.models import Employee, Position
from org.services import units_within
from processes.models import CycleMember, Plan
from processes.services.cycles import member_correct_reporting_line
from processes.services.membership import member_join, member_leave, member_move

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


class PositionField(forms.CharField):
    """A position by its code."""

    def clean(self, value):
        code = (super().clean(value) or "").strip()
        position = Position.objects.select_related("unit").filter(code=code).first()
        if position is None:
            raise forms.ValidationError(_("No position has the code %(code)s.") % {"code": code})
        return position


class MoveForm(HRForm):
    position = PositionField(label=gettext_lazy("New position (code)"), max_length=50)
    date = forms.DateField(label=gettext_lazy("From (the old plan ends the day before)"),
                           widget=forms.DateInput(attrs={"type": "date"}))


class LeaveForm(HRForm):
    date = forms.DateField(label=gettext_lazy("First day out of service (the plan ends the day before)"),
                           widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=Plan.LeaveReason.choices)


class JoinForm(HRForm):
    employee = EmployeeField(label=gettext_lazy("Employee"))
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))


# What each posted form is, and the service call and message it leads to.
MEMBER_FORMS = {"correct": CorrectionForm, "move": MoveForm, "leave": LeaveForm}


def _members(cycle, query: str):
    members = (CycleMember.objects.filter(cycle=cycle)
               .select_related("employee", "unit", "position", "rater", "raters_superior", "plan")
               .order_by("unit__path", "employee__name", "plan__start", "id"))
    if query:
        members = members.filter(Q(employee__name__icontains=query) | Q(employee__nip__startswith=query)
                                 | Q(rater__name__icontains=query) | Q(unit__name__icontains=query))
    return members


def _officials(cycle):
    """Who usually rates: unit leaders and holders of positions with subordinates, in scope."""
    return (Employee.objects.filter(is_active=True, position__unit__in=units_within(cycle.units.all()))
            .filter(Q(position__is_unit_leader=True) | Q(position__subordinates__isnull=False))
            .distinct().order_by("name")[:500])


def _member_call(request, op: str, member: CycleMember, data: dict):
    origin = request_origin(request)
    name = member.employee.name
    if op == "move":
        return (lambda: member_move(member=member, position=data["position"], on=data["date"], actor=request.user, origin=origin),
                _("%(employee)s moves on %(date)s: the plan ended the day before and a new plan started.")
                % {"employee": name, "date": long_date(data["date"])})
    if op == "leave":
        return (lambda: member_leave(member=member, on=data["date"], reason=data["reason"], actor=request.user, origin=origin),
                _("%(employee)s leaves on %(date)s: the plan ended the day before.") % {"employee": name, "date": long_date(data["date"])})
    return (lambda: member_correct_reporting_line(
        member=member, actor=request.user, rater=data["rater"], raters_superior=data["raters_superior"],
        reason=data["reason"], origin=origin,
    ), _("The rater of %(employee)s is corrected; the open tasks moved.") % {"employee": name})


@hr_required
@require_http_methods(["GET", "POST"])
def cycle_members(request, pk: int):
    cycle = hr_cycle(request, pk)
    query = request.GET.get("q", "").strip()[:100]
    posted, status, join_form = None, 200, JoinForm()
    if request.method == "POST":
        op = request.POST.get("op", "correct")
        if op == "join":
            join_form = JoinForm(request.POST)
            status = _post_join(request, cycle, join_form)
        else:
            member = (CycleMember.objects.select_related("unit", "employee", "cycle")
                      .filter(cycle=cycle, pk=posted_id(request, "member")).first())
            if member is None or op not in MEMBER_FORMS:
                raise Http404(_("No such member of the cycle."))
            form_class = MEMBER_FORMS[op]
            form = form_class(request.POST, member=member) if form_class is CorrectionForm else form_class(request.POST)
            status = 400
            if form.is_valid():
                call, success = _member_call(request, op, member, form.cleaned_data)
                errors = attempt(request, call, success=success)
                if errors is None:
                    status = 200
                else:
                    status = 400 if errors else 403
                    add_errors(form, errors)
            posted = (member.pk, op, form)
        if status == 200:
            return redirect(request.get_full_path())
    page = Paginator(_members(cycle, query), 25).get_page(request.GET.get("page"))
    for member in page:
        forms_of = {"correct": CorrectionForm(member=member), "move": MoveForm(auto_id=f"id_move_%s_{member.pk}"),
                    "leave": LeaveForm(auto_id=f"id_leave_%s_{member.pk}")}
        if posted and posted[0] == member.pk:
            forms_of[posted[1]] = posted[2]
        member.form, member.move_form, member.leave_form = forms_of["correct"], forms_of["move"], forms_of["leave"]
        member.open_op = posted[1] if posted and posted[0] == member.pk else ""
    return render(request, "web/hr/cycle_members.html",
                  {"cycle": cycle, "page": page, "query": query, "officials": _officials(cycle), "join_form": join_form},
                  status=status)


def _post_join(request, cycle, form: JoinForm) -> int:
    """200 when the employee joined (the page redirects), else the status the form shows."""
    if not form.is_valid():
        return 400
    data = form.cleaned_data
    errors = attempt(request, lambda: member_join(cycle=cycle, employee=data["employee"], start_on=data["start"],
                                                  actor=request.user, origin=request_origin(request)),
                     success=_("%(employee)s joins the cycle from %(date)s with a new plan in draft.")
                     % {"employee": data["employee"].name, "date": long_date(data["start"])})
    if errors is None:
        return 200
    add_errors(form, errors)
    return 400 if errors else 403
