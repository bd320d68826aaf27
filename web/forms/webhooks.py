"""HR's form that registers a webhook. Parsed here; the URL and the event names are checked by
notifications/services.py ``webhook_register``, as for the API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from notifications.messages import MESSAGES

from .base import CommandForm, OpenMultipleChoiceField, TextField


class WebhookForm(CommandForm):
    url = TextField(label=gettext_lazy("URL"), widget=forms.URLInput(attrs={"placeholder": "https://"}))
    events = OpenMultipleChoiceField(label=gettext_lazy("Events"), widget=forms.CheckboxSelectMultiple,
                                     choices=[(name, name) for name in sorted(MESSAGES)],
                                     help_text=gettext_lazy("None chosen: every event."))
