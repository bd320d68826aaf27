"""The performance plan (SKP): results and indicators, and the approved versions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.models import Employee, LeaveReason, Unit
from workflow.models import Document, FlowRef

from .cycles import Cycle, CycleMember


class Plan(Document):
    """A performance plan (SKP) of one employee for one period of a cycle.

    An employee has one plan per period: the cycle's opening starts one for the year; a join
    starts one from the day the employee came; a move (transfer, promotion, new position) ends
    the current plan the day before and starts the next. Periods never overlap
    (processes/services/membership.py); each plan has its own member record (rater, unit,
    position), results, reports and assessments (docs/periods-and-changes.md)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")

    class Origin(models.TextChoices):
        OPENING = "opening", _("Cycle opened")
        JOIN = "join", _("Joined")
        MOVE = "move", _("Moved")

    class Ended(models.TextChoices):
        MOVE = "move", _("Moved to another position")
        LEAVE = "leave", _("Left")

    LeaveReason = LeaveReason

    document_type = "plan"
    flow_class = FlowRef("processes.flows.plan.PlanFlow")

    member = models.OneToOneField(CycleMember, on_delete=models.CASCADE, related_name="plan")
    # Denormalised from the member for the indexed filters and GROUP BYs of lists and progress.
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="plans")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="plans")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    revision = models.PositiveIntegerField(_("approved revision"), default=0, help_text=_("0 until first approved"))
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("rater's comment"), blank=True)
    # The leader's specific expectations (ekspektasi khusus pimpinan) per BerAKHLAK core value,
    # written by the rater before approving, part of the approved version: {value code: text}.
    expectations = models.JSONField(_("the leader's expectations per core value"), default=dict, blank=True)
    # The plan's period (periode SKP): inside the cycle's year, never past a PPPK's contract.
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))
    origin = models.CharField(_("started by"), max_length=8, choices=Origin.choices, default=Origin.OPENING)
    # Set when a move or a leave ended the period early: the plan takes no more steps.
    ended = models.CharField(_("ended by"), max_length=6, choices=Ended.choices, blank=True)
    leave_reason = models.CharField(_("reason for leaving"), max_length=14, choices=LeaveReason.choices, blank=True)

    class Meta:
        verbose_name = _("performance plan (SKP)")
        verbose_name_plural = _("performance plans (SKP)")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "submitted", "returned", "approved"]), name="plan_status_valid"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="plan_period_ordered"),
            models.CheckConstraint(condition=Q(origin__in=["opening", "join", "move"]), name="plan_origin_valid"),
            models.CheckConstraint(condition=Q(ended__in=["", "move", "leave"]), name="plan_ended_valid"),
            models.UniqueConstraint(fields=["cycle", "employee", "start"], name="plan_one_per_start"),
        ]
        indexes = [
            models.Index(fields=["cycle", "status"]),
            models.Index(fields=["cycle", "unit", "status"]),
            models.Index(fields=["cycle", "employee", "start"]),
            # HR's dashboard: the month's joiners and movers, and its leavers (a few among many).
            models.Index(fields=["cycle", "start"], condition=~Q(origin="opening"), name="plan_joined_or_moved"),
            models.Index(fields=["cycle", "end"], condition=Q(ended="leave"), name="plan_left"),
        ]

    def __str__(self) -> str:
        return f"SKP {self.cycle.year} {self.employee.name}"

    @property
    def is_ended(self) -> bool:
        """A move or a leave closed the period: no step of the plan remains."""
        return bool(self.ended)

    @property
    def employee_has_left(self) -> bool:
        """A leave ended the plan and its date has come: nothing more is asked of the employee."""
        return self.ended == self.Ended.LEAVE and self.end < timezone.localdate()

    def covers_month(self, year: int, month: int) -> bool:
        """Whether any day of the month falls in the plan's period."""
        return (self.start.year, self.start.month) <= (year, month) <= (self.end.year, self.end.month)


class PlanResult(models.Model):
    """A work result (Rencana Hasil Kerja, RHK) of a plan."""

    class Kind(models.TextChoices):
        MAIN = "main", _("Main (utama)")
        ADDITIONAL = "additional", _("Additional (tambahan)")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="results")
    title = models.CharField(_("title"), max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MAIN)
    supports = models.ForeignKey(
        "self", verbose_name=_("supports (rater's result)"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="supported_by",
    )
    order = models.PositiveSmallIntegerField(default=0)
    # True once the result is part of an approved revision: only approved results of a rater's
    # plan may be supported by subordinates (the cascade).
    approved = models.BooleanField(default=False)

    class Meta:
        ordering = ["plan", "order", "id"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=["main", "additional"]), name="plan_result_kind_valid")]

    def __str__(self) -> str:
        return self.title


class Indicator(models.Model):
    """A performance indicator (Indikator Kinerja Individu, IKI) of a result, with its target."""

    class Aspect(models.TextChoices):
        QUANTITY = "quantity", _("Quantity")
        QUALITY = "quality", _("Quality")
        TIME = "time", _("Time")

    result = models.ForeignKey(PlanResult, on_delete=models.CASCADE, related_name="indicators")
    description = models.CharField(_("description"), max_length=500)
    target = models.CharField(_("target"), max_length=200)
    aspect = models.CharField(_("aspect"), max_length=10, choices=Aspect.choices, default=Aspect.QUANTITY)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["result", "order", "id"]
        constraints = [models.CheckConstraint(condition=Q(aspect__in=["quantity", "quality", "time"]), name="indicator_aspect_valid")]

    def __str__(self) -> str:
        return self.description


class PlanVersion(models.Model):
    """The content of a plan as approved: kept when the plan is amended."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    revision = models.PositiveIntegerField()
    approved_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    content = models.JSONField()

    class Meta:
        ordering = ["plan", "revision"]
        constraints = [models.UniqueConstraint(fields=["plan", "revision"], name="plan_version_unique")]
