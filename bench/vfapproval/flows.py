from viewflow import this
from viewflow.workflow import act, flow, lock
from viewflow.workflow.flow.views import UpdateProcessView

from .models import ApprovalRequest


class ApprovalFlow(flow.Flow):
    process_class = ApprovalRequest
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.init_request).Next(this.approval)
    approval = flow.View(UpdateProcessView.as_view(fields=["approved"])).Next(this.check_approved)
    check_approved = flow.If(act.process.approved).Then(this.approved_end).Else(this.rejected_end)
    approved_end = flow.End()
    rejected_end = flow.End()

    def init_request(self, activation):
        return activation.process
