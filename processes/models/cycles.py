"""Cycles (performance years), their rule sets, roles and each employee's record."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from org.models import Employee, Position, Unit
from workflow.models import Document, FlowRef

from ..rules import default_rules, validate_rules, validate_rules_field


class RuleSet(models.Model):
    """A named rule set; the default one is copied into each new cycle."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    data = models.JSONField(_("rules"), default=default_rules, validators=[validate_rules_field])
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_rule_set")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A rule set the processes could not run on is refused however it is saved (admin,
        # shell, data migration), not only through forms.
        validate_rules(self.data)
        super().save(*args, **kwargs)


class Cycle(Document):
    """A performance year for a scope of units (the units and everything below them)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPENING = "opening", _("Opening")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class PeriodType(models.TextChoices):
        """The periodic evaluation beside the annual one (PermenPANRB 6/2022: periodic evaluation
        monthly, quarterly or per semester, as the agency sets it); "annual": the year's only."""

        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        SEMESTER = "semester", _("Per semester")
        ANNUAL = "annual", _("Annual")

    document_type = "cycle"
    flow_class = FlowRef("processes.flows.cycle.CycleFlow")

    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    period_type = models.CharField(_("evaluation period"), max_length=10, choices=PeriodType.choices, default=PeriodType.ANNUAL)
    units = models.ManyToManyField(Unit, verbose_name=_("scope"), related_name="cycles")
    plan_deadline = models.DateField(_("plan deadline"))
    rules = models.JSONField(_("rules"), default=default_rules, validators=[validate_rules_field])
    rule_set = models.ForeignKey(RuleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="cycles")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opening_total = models.PositiveIntegerField(default=0)
    opening_done = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Decides the objections of members whose rater has no superior in scope (PP 30/2019 art. 59:
    # the Pejabat Pembina Kepegawaian or the official they designate). Empty: the cycle's
    # ratifying official, where that official is not the rater (processes/services/cycles.py).
    deciding_official = models.ForeignKey(
        Employee, verbose_name=_("deciding official"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("decides objections where the rater has no superior in scope"),
    )
    # The agencies the scope covers (their ids, sorted, comma-joined), set by cycle_create: one
    # cycle per agency, year and period type (processes.services.cycles._scope_key).
    scope_key = models.CharField(max_length=500, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-year", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "opening", "open", "closed"]), name="cycle_status_valid"),
            models.CheckConstraint(condition=Q(period_type__in=["monthly", "quarterly", "semester", "annual"]),
                                   name="cycle_period_type_valid"),
            models.UniqueConstraint(fields=["scope_key", "year", "period_type"], name="cycle_one_per_scope_year_period"),
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
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             help_text=_("the unit a forum member reviews"))

    class Meta:
        verbose_name = _("cycle role")
        verbose_name_plural = _("cycle roles")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "user", "role", "unit"], name="cycle_role_unique"),
            models.CheckConstraint(condition=Q(role__in=["forum_member", "ratifying_official"]), name="cycle_role_valid"),
        ]


class CycleMember(models.Model):
    """An employee's record for one plan period of a cycle: unit, position and reporting line as
    resolved when the period started (the cycle's opening, a join or a move). An employee has as
    many records in a cycle as plans, one after another (``Plan.start``/``Plan.end``). HR may
    correct the rater (member_correct_reporting_line), audited; that keeps the plan."""

    document_type = "cycle_member"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="members")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="cycle_memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    position = models.ForeignKey(Position, null=True, on_delete=models.SET_NULL, related_name="+")
    rater = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="rated_memberships")
    rater_position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raters_superior = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raters_superior_position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The rank/grade when the period started: a promotion later in the year does not rewrite the
    # documents of the plan before it.
    grade = models.CharField(_("rank/grade (pangkat/golongan)"), max_length=6, blank=True)

    class Meta:
        verbose_name = _("cycle member")
        verbose_name_plural = _("cycle members")
        indexes = [models.Index(fields=["cycle", "rater"]), models.Index(fields=["cycle", "unit"]),
                   models.Index(fields=["cycle", "employee"])]

    def __str__(self) -> str:
        return f"{self.employee} @ {self.cycle}"
