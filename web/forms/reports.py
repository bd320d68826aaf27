"""The monthly report page's forms: the realisations (a formset, one form per indicator of the
plan), a file or a link as evidence, removing a piece of evidence, and starting a month's report.
Parsed here; every rule (required values, lengths, indicators of the plan, web addresses, file
kinds and sizes, months) is processes/services/reports.py's, whose errors are put back beside the
fields they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from processes.models import Indicator, MonthlyReport
from processes.services.reports import NAME_MAX, NOTE_MAX, URL_MAX, VALUE_MAX

from .base import CommandForm, IdField, TextField, place_errors

FORMS_MAX = 500  # a bound of the parsing only: a plan has far fewer indicators


class RealisationForm(CommandForm):
    indicator = TextField(widget=forms.HiddenInput)
    value = TextField(label=gettext_lazy("Realisation this month"), widget=forms.TextInput(attrs={"maxlength": VALUE_MAX}))
    note = TextField(label=gettext_lazy("Note (optional)"), widget=forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX}))


class BaseRealisationFormSet(forms.BaseFormSet):
    """One form per indicator of the report's plan, with what was reported; the page's ids
    (``value-<indicator>``) name the indicator."""

    def __init__(self, data=None, *, report: MonthlyReport, **kwargs):
        indicators = Indicator.objects.filter(result__plan_id=report.plan_id).select_related("result").order_by(
            "result__order", "result_id", "order", "id")
        self.indicators = {str(i.pk): i for i in indicators}
        reported = {r.indicator_id: r for r in report.realisations.all()}
        self.reported = {str(pk) for pk in reported if pk is not None}
        initial = [
            {"indicator": key, "value": reported[i.pk].value if i.pk in reported else "",
             "note": reported[i.pk].note if i.pk in reported else ""}
            for key, i in self.indicators.items()
        ]
        kwargs.setdefault("prefix", "realisations")
        super().__init__(data, initial=None if data is not None else initial, **kwargs)
        self.sent: list[RealisationForm] = []

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        key = str(form["indicator"].value() or "")
        form.about = self.indicators.get(key)  # the indicator the row is about (not the field "indicator")
        form.reported = key in self.reported
        if form.about is not None:
            form.fields["value"].widget.attrs["id"] = f"value-{key}"
            form.fields["note"].widget.attrs["id"] = f"note-{key}"
        return form

    def items(self) -> list[dict]:
        """What ``report_update_realisations`` takes: every row with something typed, and every
        row reported before (so that a realisation emptied is refused, not silently kept)."""
        self.sent = [
            form for form in self.forms
            if form.cleaned_data.get("value") or form.cleaned_data.get("note") or form.reported
        ]
        return [{name: form.cleaned_data.get(name, "") for name in ("indicator", "value", "note")} for form in self.sent]

    def add_service_errors(self, errors: dict) -> list:
        """The service's errors (``realisations[0].value``) beside the rows sent; the others returned."""
        places: dict[str, tuple[forms.Form, str | None]] = {}
        for index, form in enumerate(self.sent):
            places[f"realisations[{index}]"] = places[f"realisations[{index}].indicator"] = (form, None)
            places.update({f"realisations[{index}].{name}": (form, name) for name in ("value", "note")})
        return place_errors(errors, places)


RealisationFormSet = forms.formset_factory(
    RealisationForm, formset=BaseRealisationFormSet, extra=0, max_num=FORMS_MAX, absolute_max=FORMS_MAX
)


class UploadForm(CommandForm):
    """A file as evidence (the box takes a dropped file too)."""

    file = forms.FileField(required=False, allow_empty_file=True, label=gettext_lazy("Drop a file here, or choose one:"))
    name = TextField(label=gettext_lazy("Name (optional)"), widget=forms.TextInput(attrs={"maxlength": NAME_MAX}))

    def __init__(self, *args, accept: str = "", **kwargs):
        kwargs.setdefault("auto_id", "evidence-%s")
        super().__init__(*args, **kwargs)
        if accept:
            self.fields["file"].widget.attrs["accept"] = accept


class LinkForm(CommandForm):
    """A web address as evidence."""

    url = TextField(label=gettext_lazy("Or add a link"),
                    widget=forms.URLInput(attrs={"placeholder": "https://", "maxlength": URL_MAX, "id": "evidence-url"}))
    name = TextField(label=gettext_lazy("Name (optional)"), widget=forms.TextInput(attrs={"maxlength": NAME_MAX}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "link-%s")
        super().__init__(*args, **kwargs)


class EvidenceDeleteForm(CommandForm):
    evidence = IdField()


class ReportStartForm(CommandForm):
    """The month of a plan's report to open; the service says which months may be."""

    month = TextField(widget=forms.HiddenInput)
