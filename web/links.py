"""/d/<type>/<id>/: the stable address of a document, used in e-mails and webhooks."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect

RESOURCES = {
    "plan": "plans", "report": "reports", "assessment": "assessments", "unit_review": "unit-reviews",
    "objection": "objections", "cycle": "cycles", "feedback_request": "feedback-requests",
    "cycle_member": "cycle-members", "delegation": "delegations",
}


@login_required
def document(request, document_type: str, document_id: int):
    resource = RESOURCES.get(document_type)
    if resource is None:
        raise Http404()
    return redirect(f"/api/v1/{resource}/{document_id}/")
