from viewflow import jsonstore
from viewflow.workflow.models import Process


class ApprovalRequest(Process):
    approved = jsonstore.BooleanField(default=False)

    class Meta:
        proxy = True
