from django.apps import AppConfig


class VfApprovalConfig(AppConfig):
    name = "bench.vfapproval"
    label = "vfapproval"
