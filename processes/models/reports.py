"""Monthly reports: the realisation of each indicator, with evidence (bukti dukung)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from org.models import Employee, Unit
from workflow.models import Document, FlowRef

from .cycles import Cycle, CycleMember
from .plans import Indicator, Plan


class MonthlyReport(Document):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    document_type = "report"
    flow_class = FlowRef("processes.flows.report.ReportFlow")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reports")
    member = models.ForeignKey(CycleMember, on_delete=models.CASCADE, related_name="reports")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="reports")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    due_at = models.DateTimeField(_("due"))
    submitted_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(_("late"), default=False, help_text=_("submitted after its deadline"))
    feedback = models.TextField(_("feedback (umpan balik)"), blank=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "month"], name="report_plan_month_unique"),
            models.CheckConstraint(condition=Q(status__in=["open", "submitted", "accepted", "returned"]), name="report_status_valid"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="report_month_valid"),
        ]
        indexes = [
            models.Index(fields=["cycle", "month", "status"]),
            models.Index(fields=["cycle", "unit", "status"]),
            # Progress counts per unit, status and lateness: an index-only scan.
            models.Index(fields=["cycle", "unit", "status", "late"], name="report_progress"),
            # HR's late reports: submitted late, or not submitted (whether past due is checked on these few).
            models.Index(fields=["cycle", "due_at", "late", "status"], condition=Q(late=True) | Q(status__in=["open", "returned"]),
                         name="report_late_or_unsubmitted"),
        ]

    def __str__(self) -> str:
        return f"{self.employee.name} {self.cycle.year}-{self.month:02d}"


class Realisation(models.Model):
    """What was achieved on one indicator in the month."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="realisations")
    # Kept when an amendment later removes the indicator: the report keeps what was reported.
    indicator = models.ForeignKey(Indicator, null=True, on_delete=models.SET_NULL, related_name="realisations")
    indicator_description = models.CharField(max_length=500)
    value = models.CharField(_("realisation"), max_length=500)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["report", "indicator"], name="realisation_unique")]


class Evidence(models.Model):
    """Evidence (bukti dukung): an uploaded file or a link."""

    class Kind(models.TextChoices):
        FILE = "file", _("File")
        LINK = "link", _("Link")

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    url = models.URLField(max_length=1000, blank=True)
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=["file", "link"]), name="evidence_kind_valid")]
