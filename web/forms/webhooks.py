"""HR's form that registers a webhook. Parsed here; the URL, the event names and the unit are
checked by notifications/services.py ``webhook_register``, as for the API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from notifications.messages import MESSAGES
from org.models import Unit
from org.services import hr_scope_units

from .base import CommandForm, OpenMultipleChoiceField, TextField


class WebhookForm(CommandForm):
    url = TextField(label=gettext_lazy("URL"), widget=forms.URLInput(attrs={"placeholder": "https://"}))
    events = OpenMultipleChoiceField(label=gettext_lazy("Events"), widget=forms.CheckboxSelectMultiple,
                                     choices=[(name, name) for name in sorted(MESSAGES)],
                                     help_text=gettext_lazy("None chosen: every event."))
    # The agency whose events it receives: a unit of the user's HR scope (another agency's is no
    # choice at all, as one that does not exist).
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none(), required=False,
                                  help_text=gettext_lazy("Whose events it receives; none chosen: the unit you are HR of."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = hr_scope_units(user).order_by("path")
