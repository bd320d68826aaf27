"""The appraisal lifecycle's documents: cycles, each employee's record in a cycle, plans."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from org.models import Employee, Position, Unit
from workflow.models import Document, FlowRef

from .rules import default_rules, validate_rules


class RuleSet(models.Model):
    """A named rule set; the default one is copied into each new cycle."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    data = models.JSONField(_("rules"), default=default_rules, validators=[validate_rules])
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_rule_set")]

    def __str__(self) -> str:
        return self.name


class Cycle(Document):
    """A performance year for a scope of units (the units and everything below them)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPENING = "opening", _("Opening")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class PeriodType(models.TextChoices):
        QUARTERLY = "quarterly", _("Quarterly")
        ANNUAL = "annual", _("Annual")

    document_type = "cycle"
    flow_class = FlowRef("processes.flows.cycle.CycleFlow")

    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    period_type = models.CharField(_("evaluation period"), max_length=10, choices=PeriodType.choices, default=PeriodType.ANNUAL)
    units = models.ManyToManyField(Unit, verbose_name=_("scope"), related_name="cycles")
    plan_deadline = models.DateField(_("plan deadline"))
    rules = models.JSONField(_("rules"), default=default_rules, validators=[validate_rules])
    rule_set = models.ForeignKey(RuleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="cycles")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opening_total = models.PositiveIntegerField(default=0)
    opening_done = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-year", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "opening", "open", "closed"]), name="cycle_status_valid"),
            models.CheckConstraint(condition=Q(period_type__in=["quarterly", "annual"]), name="cycle_period_type_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class CycleRole(models.Model):
    """A role held for one cycle: forum member of a unit, or the cycle's ratifying official."""

    class Role(models.TextChoices):
        FORUM_MEMBER = "forum_member", _("Review forum member")
        RATIFYING_OFFICIAL = "ratifying_official", _("Ratifying official")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cycle_roles")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text=_("the unit a forum member reviews"))

    class Meta:
        verbose_name = _("cycle role")
        verbose_name_plural = _("cycle roles")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "user", "role", "unit"], name="cycle_role_unique"),
            models.CheckConstraint(condition=Q(role__in=["forum_member", "ratifying_official"]), name="cycle_role_valid"),
        ]


class CycleMember(models.Model):
    """An employee's record for one cycle: unit, position and reporting line as resolved when
    the cycle opened. HR may correct the rater (member_correct_reporting_line), audited."""

    document_type = "cycle_member"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="members")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="cycle_memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    position = models.ForeignKey(Position, null=True, on_delete=models.SET_NULL, related_name="+")
    rater = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="rated_memberships")
    rater_position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raters_superior = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raters_superior_position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("cycle member")
        verbose_name_plural = _("cycle members")
        constraints = [models.UniqueConstraint(fields=["cycle", "employee"], name="cycle_member_unique")]
        indexes = [models.Index(fields=["cycle", "rater"]), models.Index(fields=["cycle", "unit"])]

    def __str__(self) -> str:
        return f"{self.employee} @ {self.cycle}"


class Plan(Document):
    """A performance plan (SKP) of one employee for one cycle."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")

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

    class Meta:
        verbose_name = _("performance plan (SKP)")
        verbose_name_plural = _("performance plans (SKP)")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "submitted", "returned", "approved"]), name="plan_status_valid"),
        ]
        indexes = [
            models.Index(fields=["cycle", "status"]),
            models.Index(fields=["cycle", "unit", "status"]),
            models.Index(fields=["cycle", "employee"]),
        ]

    def __str__(self) -> str:
        return f"SKP {self.cycle.year} {self.employee.name}"


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
