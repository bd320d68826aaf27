"""The objection page's commands (an explanation, the decision) and a colleague's feedback
answer. Parsed here; checked by processes/services/{objections,feedback}.py and the flows."""

from __future__ import annotations

from processes.rules import CORE_VALUES

from .base import CommandForm, OpenChoiceField, TextField


class ExplanationForm(CommandForm):
    explanation = TextField()


class DecisionForm(CommandForm):
    outcome = OpenChoiceField()
    results_rating = OpenChoiceField()
    behaviour_rating = OpenChoiceField()
    reasons = TextField()


class FeedbackAnswerForm(CommandForm):
    """One choice per BerAKHLAK value (``rating-<code>``) and a comment; a value left blank is
    not sent, and the flow refuses an answer that does not rate all seven."""

    comment = TextField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code in CORE_VALUES:
            self.fields[f"rating-{code}"] = OpenChoiceField()

    def ratings(self) -> dict:
        return {code: self.cleaned_data[f"rating-{code}"] for code in CORE_VALUES if self.cleaned_data[f"rating-{code}"]}

    def chosen(self) -> dict:
        """Every value's choice as posted (blank ones too), to show the form again."""
        return {code: self.data.get(f"rating-{code}", "") for code in CORE_VALUES}
