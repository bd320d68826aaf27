"""What every document page shows besides the document: its history and its open tasks."""

from workflow import audit
from workflow.models import OpenTask


def document_context(document) -> dict:
    return {
        "history": list(audit.history(document.document_type, document.pk)),
        "open_tasks": list(OpenTask.objects.pending().filter(document_type=document.document_type, document_id=document.pk).select_related("assignee")),
    }
