"""What every document page shows besides the document: its history and its open tasks, in
words (translated action labels and status names, not codes)."""

from django.utils.translation import gettext_lazy as _

from processes.selectors.privacy import history_shown
from workflow import audit
from workflow.models import OpenTask
from workflow.registry import document_models

# Audited steps that are not transitions of the document's flow.
OTHER_ACTIONS = {
    "create": _("Created"), "edit": _("Edited"), "rate": _("Rated"), "add_evidence": _("Evidence added"),
    "delete_evidence": _("Evidence removed"), "start_evaluation": _("Evaluation period started"),
    "remind": _("Reminder sent"), "remind_due": _("Due-day reminder sent"), "escalate": _("Escalated"),
    "correct_reporting_line": _("Reporting line corrected"), "adjust": _("Adjust"), "end": _("Ended"),
    "resume_bulk_work": _("Bulk work resumed"), "assign_deciding_official": _("Deciding official assigned"),
}


def action_label(document_type: str, action: str) -> str:
    model = document_models().get(document_type)
    if model is not None and action in model.flow_class.action_names():
        return model.flow_class.action_label(action)
    return str(OTHER_ACTIONS.get(action, action))


def status_label(document_type: str, status: str) -> str:
    model = document_models().get(document_type)
    if model is None or not status:
        return status
    return str(dict(model._meta.get_field("status").choices).get(status, status))


def document_context(document, viewer=None) -> dict:
    """The history and open tasks of a document page; with the ``viewer``, the history as they
    may read it (processes/selectors/privacy.py: a result not issued to them stays out of it)."""
    kind = document.document_type
    history = list(audit.history(kind, document.pk))
    if viewer is not None:
        history = history_shown(document, history, viewer)
    for event in history:
        event.label = action_label(kind, event.action)
        event.from_label, event.to_label = status_label(kind, event.from_state), status_label(kind, event.to_state)
    tasks = list(OpenTask.objects.pending().filter(document_type=kind, document_id=document.pk).select_related("assignee"))
    for task in tasks:
        task.labels = [action_label(kind, a) for a in task.actions]
    return {"history": history, "open_tasks": tasks}
