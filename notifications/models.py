from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app notification, written in the same transaction as the change it reports.

    The row is also the outbox entry for the other channels (e-mail, webhook), which deliver it
    after the commit.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(_("event"), max_length=60)
    document_type = models.CharField(max_length=50, blank=True)
    document_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When a worker took the row from the queue and created its deliveries (the request only
    # publishes it after the commit); the sweep hands over again what no worker took within the
    # grace period (broker down, process killed between commit and publishing).
    handed_over_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(fields=["created_at"], condition=models.Q(handed_over_at__isnull=True), name="notification_unhanded"),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.recipient}"


class Delivery(models.Model):
    """One channel's delivery (e-mail, webhook) of a notification.

    Created by the delivery task from the notification (the outbox row written with the change),
    once per channel and endpoint whatever the task's retries; sent, retried with backoff, or
    given up as failed. In-app needs no row: the notification is the in-app message.

    HR may send a failed one again (``delivery_resend``): the resend is an event on the
    delivery's own audit chain (``document_type``).
    """

    document_type = "delivery"

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app")
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    endpoint = models.ForeignKey("WebhookEndpoint", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], condition=models.Q(status="pending"), name="delivery_pending"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], condition=models.Q(endpoint__isnull=True),
                                    name="delivery_once_per_channel"),
            models.UniqueConstraint(fields=["notification", "endpoint"], condition=models.Q(endpoint__isnull=False),
                                    name="delivery_once_per_endpoint"),
            models.CheckConstraint(condition=models.Q(channel__in=["in_app", "email", "webhook"]), name="delivery_channel_valid"),
            models.CheckConstraint(condition=models.Q(status__in=["pending", "sent", "failed"]), name="delivery_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id}: {self.status}"


class DeliveryAttempt(models.Model):
    """Every try of a delivery: when, how it went, and the error if any."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(auto_now_add=True)
    succeeded = models.BooleanField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class NotificationPreference(models.Model):
    """A user's channels. In-app cannot be turned off (it is the inbox itself)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference")
    email = models.BooleanField(_("by e-mail"), default=True)


class WebhookEndpoint(models.Model):
    """A URL that HR registers to receive events as signed JSON POSTs (integration).

    It belongs to an agency scope (``unit``): it receives only the events of documents in that
    unit and below, and only HR of that unit (or above) sees it, its deliveries, or may deactivate
    it (notifications.scope, notifications.selectors)."""

    document_type = "webhook_endpoint"  # its audit chain: registered, deactivated

    url = models.URLField(max_length=500)
    # The registering HR's unit (RoleAssignment): the agency whose events it receives. None is the
    # whole installation, for an endpoint registered by a superuser or the system only.
    unit = models.ForeignKey("org.Unit", verbose_name=_("scope"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="webhook_endpoints")
    secret = models.CharField(max_length=100, help_text=_("shared secret for the HMAC-SHA256 signature"))
    events = models.JSONField(default=list, blank=True, help_text=_("event names to send; empty for all"))
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Short and per endpoint: a slow receiver holds a webhook worker for this long at most.
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=5)
    # The endpoint's circuit: after KINERJA_WEBHOOK_BREAKER_THRESHOLD failures in a row its
    # deliveries wait until retry_after without calling it; one probe then tries again.
    consecutive_failures = models.PositiveIntegerField(default=0)
    retry_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        constraints = [
            models.CheckConstraint(condition=models.Q(timeout_seconds__gte=1, timeout_seconds__lte=10),
                                   name="webhook_timeout_range"),
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events
