"""The progress of bulk work (a cycle's opening, an evaluation period's assessments, a month's
reports): what lets the work be resumed after a killed worker or a broker that lost the task."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .cycles import Cycle


class BulkRun(models.Model):
    """One piece of bulk work, written by each of its chunks.

    ``attempts`` is the run's lease: whoever starts or resumes the run bumps it, and a chunk
    commits only while the attempt it was started with is still the current one, so a superseded
    worker (one the sweep took the run from) stops at its next chunk instead of racing the new one.
    ``heartbeat_at`` moves with every chunk; it is empty while the run waits for a worker (the
    hand-over to the broker failed), and the sweep resumes the run when it has not moved for
    ``KINERJA_BULK_STALL_SECONDS``.
    """

    class Kind(models.TextChoices):
        CYCLE_OPEN = "cycle_open", _("Opening the cycle")
        EVALUATION_START = "evaluation_start", _("Starting an evaluation period")
        REPORTS_OPEN_MONTH = "reports_open_month", _("Opening the month's reports")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    # What the work is about, unique per kind: the cycle's id, "<evaluation id>", "YYYY-MM".
    target = models.CharField(_("target"), max_length=100)
    cycle = models.ForeignKey(Cycle, null=True, blank=True, on_delete=models.CASCADE, related_name="bulk_runs")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("bulk run")
        verbose_name_plural = _("bulk runs")
        constraints = [
            models.UniqueConstraint(fields=["kind", "target"], name="bulk_run_unique"),
            models.CheckConstraint(condition=Q(status__in=["running", "finished", "failed"]), name="bulk_run_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=["cycle_open", "evaluation_start", "reports_open_month"]),
                                   name="bulk_run_kind_valid"),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} ({self.status} {self.done}/{self.total})"

    @property
    def waiting(self) -> bool:
        """Not handed to a worker (the broker was down): the next sweep resumes it."""
        return self.status != self.Status.FINISHED and self.heartbeat_at is None
