"""The assessment page's commands: the rater's ratings, an invitation to give feedback, and the
employee's objection. Parsed here; checked by processes/services/{scoring,feedback,objections}.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from processes.rules import CORE_VALUES

from .base import CommandForm, IdListField, OpenChoiceField, TextField

RATING_FIELDS = ("results_rating", "behaviour_rating")


class RatingsForm(CommandForm):
    """The rater's ratings; a core value left blank is not rated. A unit leader's results rating
    follows the unit's predicate, so it is not sent for them."""

    results_rating = OpenChoiceField(label=gettext_lazy("Results rating"))
    behaviour_rating = OpenChoiceField(label=gettext_lazy("Behaviour rating"))
    note = TextField(label=gettext_lazy("Note"))

    def __init__(self, *args, is_unit_leader: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_unit_leader = is_unit_leader
        for code in CORE_VALUES:
            self.fields[f"value-{code}"] = OpenChoiceField()

    def ratings(self) -> dict:
        data = self.cleaned_data
        ratings = {
            "behaviour_rating": data["behaviour_rating"],
            "behaviour_values": {code: data[f"value-{code}"] for code in CORE_VALUES if data[f"value-{code}"]},
            "note": data["note"],
        }
        if not self.is_unit_leader:
            ratings["results_rating"] = data["results_rating"]
        return ratings


class InviteForm(CommandForm):
    invitees = IdListField(label=gettext_lazy("Colleagues"))


class ObjectionForm(CommandForm):
    reasons = TextField(label=gettext_lazy("Reasons for your objection (to the rater's superior)"))
