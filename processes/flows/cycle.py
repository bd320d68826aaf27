"""The cycle: HR opens it (plans are created in bulk by a Celery task), then it is open."""

from __future__ import annotations

from functools import partial

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow import fsm

from workflow.flows import SYSTEM, Authorization, Edit, Flow, Notice, action, document_state

from .. import roles
from ..models import Cycle
from .base import HR

Status = Cycle.Status


class CycleFlow(Flow):
    model = Cycle
    state = document_state(Status, default=Status.DRAFT)
    # Starting an evaluation period creates its reviews and assessments under the cycle's lock.
    # Resuming the cycle's bulk work (its opening, an evaluation period's assessments) is audited
    # on the cycle: by HR from the page or the API, by the system when the sweep finds it stalled.
    edits = {"start_evaluation": Edit(states=(Status.OPEN,), role=HR,
                                      refusal=gettext_lazy("Only HR of the cycle's units may start an evaluation period.")),
             "resume_bulk_work": Edit(states=(Status.OPENING, Status.OPEN), role=HR,
                                      refusal=gettext_lazy("Only HR of the cycle's units may resume its work.")),
             "resume_stalled_work": Edit(states=(Status.OPENING, Status.OPEN), role=SYSTEM)}

    def authorize(self, user, role: str) -> Authorization | None:
        # HR of every unit of the cycle opens and closes it; the forum and the ratifying
        # official hold roles on a cycle too, but no action of the cycle's own.
        return roles.authorize(user, role, self.document) if role in (SYSTEM, HR) else None

    def has_scope(self):
        if not self.document.units.exists():
            return fsm.State.CONDITION(False, _("The cycle has no units in its scope."))
        return fsm.State.CONDITION(True)

    @action(state, source=Status.DRAFT, target=Status.OPENING, role=HR, conditions=[has_scope], label=gettext_lazy("Open"))
    def open(self):
        from ..services import bulk_runs

        self.set(opening_total=0, opening_done=0)
        # Plans for tens of thousands of employees are created in a Celery task, in chunks,
        # after this transaction commits (the task must see the cycle in "opening"). The run is
        # recorded with the opening, so a task the broker never took (or a worker killed
        # mid-way) is resumed by the sweep or by HR, and a broker that is down fails nothing.
        run = bulk_runs.run_begin(kind=bulk_runs.Kind.CYCLE_OPEN, target=str(self.document.pk), cycle=self.document)
        self.after_commit(partial(bulk_runs.queue, run.pk, run.attempts))

    @action(state, source=Status.OPENING, target=Status.OPEN, role=SYSTEM, label=gettext_lazy("Finish opening"))
    def finish_opening(self):
        self.set(opened_at=timezone.now())

    def every_unit_ratified(self):
        from ..models import UnitReview

        pending = list(
            UnitReview.objects.filter(cycle=self.document).exclude(status=UnitReview.Status.RATIFIED)
            .values_list("unit__name", "period").order_by("period", "unit__name")
        )
        if not UnitReview.objects.filter(cycle=self.document, period="annual").exists():
            pending.insert(0, (_("the annual evaluation has not started"), ""))
        if pending:
            listed = "; ".join(f"{unit} {period}".strip() for unit, period in pending)
            return fsm.State.CONDITION(False, _("Not every unit is ratified: %(units)s") % {"units": listed})
        return fsm.State.CONDITION(True)

    @action(state, source=Status.OPEN, target=Status.CLOSED, role=HR, conditions=[every_unit_ratified], label=gettext_lazy("Close"))
    def close(self):
        pass

    def notices(self, action: str, from_state: str) -> list[Notice]:
        cycle = self.document
        if action == "finish_opening" and cycle.created_by_id:
            return [Notice(cycle.created_by_id, "cycle.ready", {"name": cycle.name, "plans": cycle.opening_done})]
        return []
