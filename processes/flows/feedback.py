"""A colleague's feedback request: pending until the invitee answers, once."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.flows import Authorization, Flow, Notice, TaskSpec, action, document_state

from .. import roles
from ..models import FeedbackRequest
from ..rules import CORE_VALUES, RATINGS
from .base import task

Status = FeedbackRequest.Status
INVITEE = roles.INVITEE


class FeedbackRequestFlow(Flow):
    model = FeedbackRequest
    state = document_state(Status, default=Status.PENDING)

    @classmethod
    def lock_queryset(cls):
        return FeedbackRequest.objects.select_related("invitee", "assessment__employee", "assessment__cycle")

    def authorize(self, user, role: str) -> Authorization | None:
        return roles.authorize(user, role, self.document) if role == INVITEE else None

    @action(state, source=Status.PENDING, target=Status.ANSWERED, role=INVITEE, label=gettext_lazy("Answer"))
    def answer(self):
        ratings = self.ctx.data.get("ratings") or {}
        if set(ratings) != set(CORE_VALUES) or not set(ratings.values()) <= set(RATINGS):
            raise ValidationError({"ratings": [
                _("Rate each of the seven BerAKHLAK values (%(values)s) with above, as_expected or below.")
                % {"values": ", ".join(CORE_VALUES)}
            ]})
        comment = strip_tags(self.ctx.data.get("comment") or "").strip()[:2000]
        self.set(ratings=ratings, comment=comment, answered_at=timezone.now())
        # The audit trail records that an answer was given, never what it said.
        self.ctx.audit_data = {"answered": True}

    def open_tasks(self) -> list[TaskSpec]:
        request = self.document
        if request.status == Status.PENDING:
            return [task(request.assessment.cycle.rules, role=INVITEE, actions=["answer"],
                         assignee_id=request.invitee.user_id, due_at=request.due_at)]
        return []

    def notices(self, action: str, from_state: str) -> list[Notice]:
        request = self.document
        if action == "create":
            return [Notice(request.invitee.user_id, "feedback.requested", {
                "employee": request.assessment.employee.name, "period": request.assessment.get_period_display(),
                "year": request.assessment.cycle.year, "due": timezone.localdate(request.due_at).isoformat(),
            })]
        return []
