"""HR's form that creates a cycle. Parsed here (a year as a number, a date, units of HR's own
scope); the cycle's rules are checked by processes/services/cycles.py ``cycle_create``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from org.models import Employee, Unit
from org.services import hr_scope_units
from processes.models import Cycle

from .base import CommandForm, OpenChoiceField, TextField


class UnitChoiceField(forms.ModelMultipleChoiceField):
    """Units indented by their depth below the top of the user's scope."""

    top = 0

    def label_from_instance(self, unit: Unit) -> str:
        depth = max(unit.path.count("/") - self.top, 0)
        return f"{'— ' * depth}{unit.name} ({unit.code})"


class CycleForm(CommandForm):
    name = TextField(label=gettext_lazy("Name"))
    year = forms.IntegerField(label=gettext_lazy("Year"))
    period_type = OpenChoiceField(label=gettext_lazy("Evaluation period"), choices=Cycle.PeriodType.choices,
                                  initial=Cycle.PeriodType.ANNUAL)
    units = UnitChoiceField(label=gettext_lazy("Units"), queryset=Unit.objects.none(), required=False,
                            widget=forms.SelectMultiple(attrs={"size": 8}),
                            help_text=gettext_lazy("Each unit with everything below it."))
    plan_deadline = forms.DateField(label=gettext_lazy("Plan deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    # By NIP: the official usually sits above HR's scope (the mayor, regent, governor, minister
    # or whom they designate), and a list of every employee would not fit a page.
    deciding_official = forms.CharField(
        label=gettext_lazy("Deciding official's NIP"), required=False, max_length=18,
        help_text=gettext_lazy("Decides the objections of those whose rater has no superior in the cycle "
                               "(Pejabat Pembina Kepegawaian or the official they designate). Empty: the ratifying official."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = hr_scope_units(user).order_by("path")
        self.fields["units"].queryset = units
        self.fields["units"].top = min((path.count("/") for path in units.values_list("path", flat=True)), default=0)

    def clean_deciding_official(self):
        nip = (self.cleaned_data.get("deciding_official") or "").strip()
        if not nip:
            return None
        official = Employee.objects.filter(nip=nip).first()
        if official is None:
            raise forms.ValidationError(gettext_lazy("No employee has this NIP."))
        return official
