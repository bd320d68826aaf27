"""The plan page's content form: a formset of results, each with a nested formset of its
indicators (``results-0-title``, ``results-0-indicators-1-target``). Parsed here; every rule
(required text, lengths, choices, counts, ids of this plan, the cascade) is
processes/services/plans.py's, whose errors (``results[0].indicators[1].target``) are put back
beside the fields they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext, gettext_lazy

from processes.models import Indicator, PlanResult
from processes.services.plans import DESCRIPTION_MAX, TARGET_MAX, TITLE_MAX

from .base import CommandForm, OpenChoiceField, TextField, place_errors

# Bounds of the parsing only (a formset never builds more forms than this); the service's own
# limits (MAX_RESULTS, MAX_INDICATORS) are lower and say so in words.
FORMS_MAX = 200


def typed(form: forms.Form, name: str) -> str:
    """What the field holds as sent (or as given, unbound), stripped; whether it parsed or not."""
    value = form[name].value()
    return value.strip() if isinstance(value, str) else str(value or "")


class IndicatorForm(CommandForm):
    id = TextField(widget=forms.HiddenInput)
    description = TextField(label=gettext_lazy("Indicator (IKI)"), widget=forms.TextInput(attrs={"maxlength": DESCRIPTION_MAX}))
    target = TextField(label=gettext_lazy("Target"), widget=forms.TextInput(attrs={"maxlength": TARGET_MAX}))
    aspect = OpenChoiceField(label=gettext_lazy("Aspect"), choices=Indicator.Aspect.choices, initial=Indicator.Aspect.QUANTITY)

    def is_blank(self) -> bool:
        """Nothing typed (a row removed from the page, or left empty): not sent."""
        return not any(typed(self, name) for name in ("id", "description", "target"))

    def item(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in ("id", "description", "target", "aspect")}


IndicatorFormSet = forms.formset_factory(IndicatorForm, extra=0, max_num=FORMS_MAX, absolute_max=FORMS_MAX)


class ResultForm(CommandForm):
    id = TextField(widget=forms.HiddenInput)
    title = TextField(label=gettext_lazy("Work result"), widget=forms.Textarea(attrs={"rows": 2, "maxlength": TITLE_MAX}))
    kind = OpenChoiceField(label=gettext_lazy("Kind"), choices=PlanResult.Kind.choices, initial=PlanResult.Kind.MAIN)
    supports = OpenChoiceField(label=gettext_lazy("Supports your rater's result"))

    def __init__(self, *args, support_options=(), rater_in_cycle: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if rater_in_cycle:
            self.fields["supports"].choices = [("", "— %s —" % gettext("choose"))] + [
                (str(option.pk), option.title) for option in support_options
            ]
        else:  # the plan cascades from the agency's agreement: the value is kept as it is
            self.fields["supports"].widget = forms.HiddenInput()
        indicators = self.initial.get("indicators") or []
        self.indicators = IndicatorFormSet(
            self.data if self.is_bound else None, prefix=self.add_prefix("indicators"), initial=indicators or None
        )
        if not self.is_bound and not indicators:
            self.indicators.extra = 1  # a new result comes with one empty indicator

    def sent_indicators(self) -> list[IndicatorForm]:
        return [form for form in self.indicators.forms if not form.is_blank()]

    def is_blank(self) -> bool:
        return not (typed(self, "id") or typed(self, "title") or self.sent_indicators())

    def shown_indicators(self) -> list[IndicatorForm]:
        """The indicator rows to show: all of an unbound form, those typed in of a posted one."""
        return self.sent_indicators() if self.is_bound else list(self.indicators.forms)


class BaseResultFormSet(forms.BaseFormSet):
    def __init__(self, *args, support_options=(), rater_in_cycle: bool = False, **kwargs):
        self.support_options, self.rater_in_cycle = list(support_options), rater_in_cycle
        kwargs.setdefault("prefix", "results")
        super().__init__(*args, **kwargs)
        self.sent: list[tuple[ResultForm, list[IndicatorForm]]] = []

    def get_form_kwargs(self, index):
        return {"support_options": self.support_options, "rater_in_cycle": self.rater_in_cycle}

    def is_valid(self) -> bool:
        """The parsing only (the management forms, text without NUL): the rules are the service's."""
        valid = super().is_valid()
        return all([valid] + [form.indicators.is_valid() for form in self.forms if not form.is_blank()])

    def results(self) -> list[dict]:
        """What ``plan_update_content`` takes: the results typed in, in the page's order, each
        with its indicators (rows left wholly blank are not sent)."""
        self.sent = [(form, form.sent_indicators()) for form in self.forms if not form.is_blank()]
        return [
            {**{name: form.cleaned_data.get(name, "") for name in ("id", "title", "kind", "supports")},
             "indicators": [indicator.item() for indicator in indicators]}
            for form, indicators in self.sent
        ]

    def shown(self) -> list[ResultForm]:
        """The result rows to show: all of an unbound formset, those typed in of a posted one."""
        return [form for form in self.forms if not form.is_blank()] if self.is_bound else list(self.forms)

    def parse_errors(self) -> list:
        """The errors of the parsing that belong to no field (a tampered management form)."""
        found = list(self.non_form_errors())
        for form in self.forms:
            found += list(form.indicators.non_form_errors()) if form.indicators.is_bound else []
        return found

    def add_service_errors(self, errors: dict) -> list:
        """The service's errors (keyed ``results[0].title``) onto the rows that were sent; the
        others (about the whole plan) are returned."""
        places: dict[str, tuple[forms.Form, str | None]] = {}
        for index, (form, indicators) in enumerate(self.sent):
            where = f"results[{index}]"
            places[where] = places[f"{where}.indicators"] = (form, None)
            places.update({f"{where}.{name}": (form, name) for name in form.fields})
            for position, indicator in enumerate(indicators):
                at = f"{where}.indicators[{position}]"
                places[at] = (indicator, None)
                places.update({f"{at}.{name}": (indicator, name) for name in indicator.fields})
        return place_errors(errors, places)


ResultFormSet = forms.formset_factory(ResultForm, formset=BaseResultFormSet, extra=0, max_num=FORMS_MAX, absolute_max=FORMS_MAX)


def indicator_template() -> IndicatorForm:
    """The empty indicator row the page's script copies into a result (``__RESULT__`` is the
    result's prefix, ``__prefix__`` the indicator's number)."""
    return IndicatorFormSet(prefix="__RESULT__-indicators").empty_form
