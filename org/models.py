"""The organisation: units in a tree, positions in units, employees holding positions.

The reporting line (who rates whom) follows the positions: an employee's rater holds the
superior position of the employee's position. It is resolved when a cycle opens and kept on the
cycle's records (processes.CycleMember), so later changes here do not rewrite a running year.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .ranks import FUNCTIONAL_LEVELS, GRADE_CHOICES, PositionKind, grade_label
from .validators import validate_nip


class Unit(models.Model):
    """A unit of the organisation (agency, division, section, ...), in a tree.

    ``path`` is the materialised path of unit codes from the root (``/ROOT/AGENCY/DIV/``) so that
    "this unit and everything below it" is one indexed prefix query.
    """

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        AGENCY = "agency", _("Agency")
        DIVISION = "division", _("Division")
        SECTION = "section", _("Section")

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SECTION)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=1000, db_index=True, editable=False)
    # A unit closed down (merged, dissolved) stays for the history of the cycles it was in, but
    # takes no new positions, sub-units or moves (org.writes.unit_deactivate).
    is_active = models.BooleanField(_("active"), default=True)

    document_type = "unit"  # its audit chain (org.writes: every change is recorded)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["government", "agency", "division", "section"]), name="unit_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def compute_path(self) -> str:
        return f"{self.parent.path if self.parent else '/'}{self.code}/"

    def save(self, *args, **kwargs):
        # The path is derived data, kept true on every save; moving a unit re-paths its
        # subtree (org.writes.unit_move, one UPDATE).
        self.path = self.compute_path()
        super().save(*args, **kwargs)


class Position(models.Model):
    """A position (jabatan) in a unit. ``superior`` is the position whose holder rates this one's."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=255)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="positions")
    superior = models.ForeignKey(
        "self", verbose_name=_("superior position"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="subordinates",
    )
    is_unit_leader = models.BooleanField(_("leads the unit"), default=False)
    kind = models.CharField(_("kind of position"), max_length=12, choices=PositionKind.CHOICES, default=PositionKind.EXECUTOR)
    functional_level = models.CharField(_("functional level"), max_length=14, choices=FUNCTIONAL_LEVELS, blank=True,
                                        help_text=_("the level (jenjang) of a functional position"))

    document_type = "position"

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["structural", "functional", "executor"]), name="position_kind_valid"),
            # Only a functional position has a level.
            models.CheckConstraint(condition=Q(kind="functional") | Q(functional_level=""), name="position_level_functional_only"),
        ]

    def __str__(self) -> str:
        return self.title


class LeaveReason(models.TextChoices):
    """Why someone leaves the organisation during the year (docs/periods-and-changes.md)."""

    RETIREMENT = "retirement", _("Retirement")
    RESIGNATION = "resignation", _("Resignation")
    DEATH = "death", _("Death")
    CONTRACT_END = "contract_end", _("End of the PPPK contract")
    TRANSFER_OUT = "transfer_out", _("Transfer to another agency")
    DISMISSAL = "dismissal", _("Dismissal")


class Employee(models.Model):
    """A civil servant (Pegawai ASN): PNS, CPNS (a candidate in probation) or PPPK."""

    class EmploymentType(models.TextChoices):
        PNS = "pns", _("PNS (civil servant)")
        CPNS = "cpns", _("CPNS (civil servant candidate)")
        PPPK = "pppk", _("PPPK (government employee with a work agreement)")

    class Language(models.TextChoices):
        INDONESIAN = "id", _("Indonesian")
        ENGLISH = "en", _("English")

    nip = models.CharField(_("NIP"), max_length=18, unique=True, validators=[validate_nip])
    name = models.CharField(_("name"), max_length=255)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="employee",
    )
    position = models.ForeignKey(
        Position, verbose_name=_("position"), null=True, blank=True, on_delete=models.PROTECT, related_name="holders"
    )
    employment_type = models.CharField(
        _("employment type"), max_length=10, choices=EmploymentType.choices, default=EmploymentType.PNS
    )
    # Pangkat and golongan ruang of a PNS/CPNS ("III/a"), golongan of a PPPK ("IX"): org/ranks.py.
    grade = models.CharField(_("rank/grade (pangkat/golongan)"), max_length=6, choices=GRADE_CHOICES, blank=True)
    position_start = models.DateField(_("in the position since (TMT jabatan)"), null=True, blank=True)
    # A PPPK works under a contract (perjanjian kerja): no plan runs past its end.
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, default=Language.INDONESIAN)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(employment_type__in=["pns", "cpns", "pppk"]), name="employee_type_valid"),
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True) | Q(contract_start__isnull=True) | Q(contract_end__gte=models.F("contract_start")),
                name="employee_contract_ordered",
            ),
            models.CheckConstraint(condition=Q(employment_type="pppk") | Q(contract_end__isnull=True, contract_start__isnull=True),
                                   name="employee_contract_pppk_only"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.nip})"

    def get_grade_label(self) -> str:
        return grade_label(self.grade)


class ActingAssignment(models.Model):
    """An acting official (Plt / Plh): holds a position's powers for a date range.

    A Plt (pelaksana tugas) fills a vacant position; a Plh (pelaksana harian) stands in for a
    holder who is temporarily absent. Either may act on the position's behalf on those dates.
    """

    class Kind(models.TextChoices):
        PLT = "plt", _("Plt (acting, vacant position)")
        PLH = "plh", _("Plh (acting, holder absent)")

    employee = models.ForeignKey(Employee, verbose_name=_("employee"), on_delete=models.CASCADE, related_name="acting_assignments")
    position = models.ForeignKey(Position, verbose_name=_("position"), on_delete=models.CASCADE, related_name="acting_assignments")
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    document_type = "acting_assignment"

    class Meta:
        verbose_name = _("acting official")
        verbose_name_plural = _("acting officials")
        indexes = [models.Index(fields=["employee", "start", "end"]), models.Index(fields=["position", "start", "end"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="acting_range_ordered"),
            models.CheckConstraint(condition=Q(kind__in=["plt", "plh"]), name="acting_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.position}: {self.employee.name}"


class RoleAssignment(models.Model):
    """An organisation-wide role of a user over a scope of units (the unit and everything below it).

    Roles tied to one cycle (forum member, ratifying official) live with the cycle
    (processes.CycleRole).
    """

    class Role(models.TextChoices):
        HR = "hr", _("HR (BKPSDM)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="org_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("scope"), on_delete=models.CASCADE, related_name="role_assignments")

    document_type = "role_assignment"

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="role_assignment_unique"),
            models.CheckConstraint(condition=Q(role__in=["hr"]), name="role_assignment_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.unit}"


class Delegation(models.Model):
    """A role holder hands their open tasks to another employee for a date range (leave, duty
    travel): the delegate sees the tasks and acts on the holder's behalf, audited as such."""

    delegator = models.ForeignKey(Employee, verbose_name=_("delegator"), on_delete=models.CASCADE, related_name="delegations_given")
    delegate = models.ForeignKey(Employee, verbose_name=_("delegate"), on_delete=models.CASCADE, related_name="delegations_received")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(_("ended early"), null=True, blank=True)

    document_type = "delegation"

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-start", "id"]
        indexes = [models.Index(fields=["delegate", "start", "end"]), models.Index(fields=["delegator", "start", "end"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="delegation_range_ordered"),
            models.CheckConstraint(condition=~Q(delegator=models.F("delegate")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator.name} -> {self.delegate.name} ({self.start}..{self.end})"
