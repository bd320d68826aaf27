"""Objections (keberatan, PP 30/2019 art. 59): decided by the rater's superior, final."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from org.models import Employee, Position
from workflow.models import Document, FlowRef

from .cycles import Cycle, CycleMember
from .scoring import Assessment, Rating


class Objection(Document):
    class Status(models.TextChoices):
        AWAITING_EXPLANATIONS = "explaining", _("Awaiting explanations")
        AWAITING_DECISION = "deciding", _("Awaiting decision")
        DECIDED = "decided", _("Decided")

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Result upheld")
        CHANGED = "changed", _("Result changed")

    document_type = "objection"
    flow_class = FlowRef("processes.flows.objection.ObjectionFlow")

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="objection")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="objections")
    member = models.ForeignKey(CycleMember, on_delete=models.CASCADE, related_name="objections")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="objections")
    decider = models.ForeignKey(Employee, null=True, on_delete=models.SET_NULL, related_name="objections_to_decide")
    decider_position = models.ForeignKey(Position, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AWAITING_EXPLANATIONS, db_index=True)
    reasons = models.TextField(_("reasons"))
    # The result as issued when the objection was filed (the decision may change it).
    objected_predicate = models.CharField(max_length=20, blank=True)
    objected_results_rating = models.CharField(max_length=12, choices=Rating.choices, blank=True)
    objected_behaviour_rating = models.CharField(max_length=12, choices=Rating.choices, blank=True)
    explanations_due = models.DateField(null=True, blank=True)
    rater_explanation = models.TextField(blank=True)
    employee_explanation = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    results_rating = models.CharField(max_length=12, choices=Rating.choices, blank=True)
    behaviour_rating = models.CharField(max_length=12, choices=Rating.choices, blank=True)
    decision_reasons = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["explaining", "deciding", "decided"]), name="objection_status_valid"),
        ]
