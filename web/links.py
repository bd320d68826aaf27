"""/d/<type>/<id>/: the stable address of a document, used in e-mails and webhooks."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect

RESOURCES = {
    "plan": "plans", "report": "reports", "assessment": "assessments", "unit_review": "unit-reviews",
    "objection": "objections", "cycle": "cycles", "feedback_request": "feedback-requests",
    "cycle_member": "cycle-members", "delegation": "delegations",
}


# The web page of each document type (URL names in web/urls.py); the API for the others.
PAGES = {"plan": "plan-detail", "report": "report-detail", "assessment": "assessment-detail",
         "unit_review": "review-detail", "objection": "objection-detail", "cycle": "cycle-detail",
         "feedback_request": "feedback-answer"}


def page_for(document_type: str, document_id: int) -> str:
    from django.urls import NoReverseMatch, reverse

    name = PAGES.get(document_type)
    if name:
        try:
            return reverse(name, args=[document_id])
        except NoReverseMatch:  # a page not built yet: its API resource
            pass
    resource = RESOURCES.get(document_type)
    return f"/api/v1/{resource}/{document_id}/" if resource else "/"


@login_required
def document(request, document_type: str, document_id: int):
    if document_type not in RESOURCES:
        raise Http404()
    return redirect(page_for(document_type, document_id))
