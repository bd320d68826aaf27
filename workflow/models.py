"""The engine's tables: the audit trail, open tasks (the inbox) and idempotency records.

Documents are referred to by (document_type, document_id) rather than a content-type foreign
key: the type is a stable name the flows declare, and lookups need no content-type query.
"""

from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class FlowRef:
    """``flow_class = FlowRef("app.flows.PlanFlow")``: the flow, imported on first use, so
    that a flows module can import its models without an import cycle."""

    def __init__(self, path: str):
        self.path = path
        self._flow = None

    def __get__(self, instance, owner):
        if self._flow is None:
            self._flow = import_string(self.path)
        return self._flow


class Document(models.Model):
    """Base of every document a flow drives. Subclasses add ``status`` (TextChoices) and a
    ``flow_class``. ``version`` is bumped by the engine on each transition, for clients that
    want to detect a concurrent change."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The head of the document's audit chain, signed (workflow.audit.anchors): written by the
    # engine with every event, in the UPDATE of the row it makes anyway. The database defaults
    # serve rows inserted outside the ORM (bench/dashboard.py's bulk fill), which then do not verify.
    audit_seq = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    audit_last = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    audit_anchor = models.CharField(max_length=80, blank=True, default="", db_default="", editable=False)

    document_type: str = ""
    flow_class: FlowRef

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One append-only entry of a document's history.

    Each event carries the hash of the previous event of the same document (a chain per
    document, so there is no global hot spot) and its own hash: an HMAC with the audit key named
    by ``key_id`` (a plain sha256 for events written before the key, ``key_id`` empty). Each
    chain's head is anchored apart (``Document.audit_*``, ``AuditHead``); ``manage.py
    verify_audit`` checks them all. On PostgreSQL and SQLite a trigger refuses UPDATE and DELETE
    on this table.
    """

    document_type = models.CharField(max_length=50)
    document_id = models.BigIntegerField()
    seq = models.PositiveIntegerField(help_text="1, 2, 3, ... per document")
    action = models.CharField(max_length=50)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    origin = models.JSONField(default=dict, blank=True, help_text="channel (api, web, system), IP, user agent")
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16, blank=True, default="", db_default="", help_text="the audit key that signed it")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["document_type", "document_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["document_type", "document_id", "seq"], name="audit_event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type}#{self.document_id} {self.seq}: {self.action}"


class AuditHead(models.Model):
    """The signed head of an audit chain that is not a document's (whose row keeps its own):
    a record's chain written by ``workflow.engine.record`` (a unit, a role, a delegation: the row
    may be gone, the chain and its head stay)."""

    document_type = models.CharField(max_length=50)
    document_id = models.BigIntegerField()
    seq = models.PositiveIntegerField()
    last = models.CharField(max_length=64)
    anchor = models.CharField(max_length=80)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document_type", "document_id"], name="audit_head_unique")]

    def __str__(self) -> str:
        return f"{self.document_type}#{self.document_id} at {self.seq}"


class AuditTally(models.Model):
    """How many record chains (``AuditHead`` rows) of a type there are, signed: a chain deleted
    with its head leaves the count too high."""

    document_type = models.CharField(max_length=50, unique=True)
    chains = models.PositiveBigIntegerField(default=0)
    anchor = models.CharField(max_length=80, blank=True)

    def __str__(self) -> str:
        return f"{self.document_type}: {self.chains}"


class OpenTaskQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(closed_at__isnull=True)


class OpenTask(models.Model):
    """A pending human action: who must act on which document, by when.

    Assigned to a person (``assignee``) on the authority of a position (``position``), so that an
    acting official (Plt/Plh) of that position sees it too. Closed when the document moves.
    """

    document_type = models.CharField(max_length=50)
    document_id = models.BigIntegerField()
    role = models.CharField(max_length=30)
    actions = models.JSONField(default=list)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="open_tasks"
    )
    position = models.ForeignKey("org.Position", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set once each by the deadline sweep (an atomic claim: two workers do each thing once).
    reminded_at = models.DateTimeField(null=True, blank=True)
    due_reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = OpenTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("open task")
        verbose_name_plural = _("open tasks")
        indexes = [
            # "my open tasks"
            models.Index(fields=["assignee", "due_at"], condition=models.Q(closed_at__isnull=True), name="task_open_assignee"),
            models.Index(fields=["position"], condition=models.Q(closed_at__isnull=True), name="task_open_position"),
            # "overdue in this unit"
            models.Index(fields=["unit", "due_at"], condition=models.Q(closed_at__isnull=True), name="task_open_unit_due"),
            # "overdue" across many units (a cycle's progress, HR's dashboard): open tasks in
            # (due, id) order, the list's, with what the counts filter and join on, so that both
            # read the index alone.
            models.Index(fields=["due_at", "id", "document_type", "document_id", "unit"], condition=models.Q(closed_at__isnull=True),
                         name="task_open_due"),
            models.Index(fields=["document_type", "document_id"], name="task_document"),
            models.Index(fields=["remind_at"], condition=models.Q(closed_at__isnull=True, reminded_at__isnull=True), name="task_to_remind"),
            models.Index(
                fields=["escalate_at"], condition=models.Q(closed_at__isnull=True, escalated_at__isnull=True), name="task_to_escalate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type}#{self.document_id} {self.role}: {', '.join(self.actions)}"


class IdempotencyRecord(models.Model):
    """The first response to a request that carried an ``Idempotency-Key``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=500, help_text="method and path of the first request")
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]
