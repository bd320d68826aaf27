"""Feedback as evidence for scoring: colleagues' (360) on the BerAKHLAK values, anonymous to the
employee and the rater; and the public's rating of a service, through an unguessable link."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from org.models import Employee, Unit
from workflow.models import Document, FlowRef

from .cycles import Cycle
from .scoring import Assessment


class FeedbackRequest(Document):
    """An invitation to one colleague or subordinate to rate an employee's behaviour once in
    a period. Only the invitee ever sees their own answer; others see an aggregate."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting answer")
        ANSWERED = "answered", _("Answered")

    document_type = "feedback_request"
    flow_class = FlowRef("processes.flows.feedback.FeedbackRequestFlow")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="feedback_requests")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    invitee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="feedback_requests")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    due_at = models.DateTimeField(_("due"))
    ratings = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("feedback request")
        verbose_name_plural = _("feedback requests")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "invitee"], name="feedback_once_per_period"),
            models.CheckConstraint(condition=Q(status__in=["pending", "answered"]), name="feedback_status_valid"),
        ]
        indexes = [models.Index(fields=["invitee", "status"])]


def new_token() -> str:
    return secrets.token_urlsafe(24)


class PublicFeedbackLink(models.Model):
    """The public feedback link of a service unit, or of an employee at a service counter."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="public_links")
    employee = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.CASCADE, related_name="public_links")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    document_type = "public_link"  # its own audit chain: issued, revoked

    class Meta:
        verbose_name = _("public feedback link")
        verbose_name_plural = _("public feedback links")
        ordering = ["-created_at"]
        constraints = [
            # One live link per service (unit, or employee at a counter): renewing revokes the old one.
            models.UniqueConstraint(fields=["unit"], condition=Q(revoked_at__isnull=True, employee__isnull=True),
                                    name="one_live_unit_link"),
            models.UniqueConstraint(fields=["employee"], condition=Q(revoked_at__isnull=True, employee__isnull=False),
                                    name="one_live_employee_link"),
        ]

    def __str__(self) -> str:
        return f"{self.employee or self.unit}"


class PublicFeedback(models.Model):
    """One member of the public's rating (1-5) of a service, with an optional plain-text comment."""

    link = models.ForeignKey(PublicFeedbackLink, on_delete=models.PROTECT, related_name="answers")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    employee = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    language = models.CharField(max_length=5, default="id")
    month = models.CharField(max_length=7, help_text="YYYY-MM in Asia/Jakarta", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("public feedback")
        verbose_name_plural = _("public feedback")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="public_rating_range")]
        indexes = [models.Index(fields=["unit", "month"]), models.Index(fields=["employee", "month"])]
