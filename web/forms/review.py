"""The forum's board commands, one form each: the unit predicate, an adjustment, approval and
ratification. Parsed here; checked by processes/services/scoring.py."""

from __future__ import annotations

from .base import CommandForm, IdField, OpenChoiceField, TextField


class UnitPredicateForm(CommandForm):
    unit_predicate = OpenChoiceField()
    comment = TextField()


class AdjustForm(CommandForm):
    assessment = IdField()
    results_rating = OpenChoiceField()
    behaviour_rating = OpenChoiceField()
    reason = TextField()


class ApproveForm(CommandForm):
    justification = TextField()


class RatifyForm(CommandForm):
    comment = TextField()


# The board's actions and the form of each.
FORMS = {"set_unit_predicate": UnitPredicateForm, "adjust": AdjustForm, "approve": ApproveForm, "ratify": RatifyForm}
