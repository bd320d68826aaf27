"""Scoring: evaluation periods, each unit's review (its predicate, the forum's calibration,
ratification) and each employee's assessment."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from org.models import Employee, Position, Unit
from workflow.models import Document, FlowRef

from .cycles import Cycle, CycleMember

# Evaluation periods: the periodic ones a cycle's period type chooses (months, quarters or
# semesters) and the year's (processes/services/periods.py gives their dates and order).
MONTH_NAMES = [_("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"), _("August"),
               _("September"), _("October"), _("November"), _("December")]
PERIODS = (
    [(f"M{m:02d}", MONTH_NAMES[m - 1]) for m in range(1, 13)]
    + [("Q1", "Q1"), ("Q2", "Q2"), ("Q3", "Q3"), ("Q4", "Q4"), ("S1", _("Semester 1")), ("S2", _("Semester 2")),
       ("annual", _("Annual"))]
)


class Rating(models.TextChoices):
    ABOVE = "above", _("Above expectation")
    AS_EXPECTED = "as_expected", _("As expected")
    BELOW = "below", _("Below expectation")


class Predicate(models.TextChoices):
    VERY_GOOD = "very_good", _("Very good")
    GOOD = "good", _("Good")
    NEEDS_IMPROVEMENT = "needs_improvement", _("Needs improvement")
    POOR = "poor", _("Poor (misconduct)")
    VERY_POOR = "very_poor", _("Very poor")


class ChangedBy(models.TextChoices):
    FORUM = "forum", _("the calibration forum")
    OBJECTION = "objection", _("the objection decision")


class UnitPredicate(models.TextChoices):
    OUTSTANDING = "outstanding", _("Outstanding")
    GOOD = "good", _("Good")
    NEEDS_IMPROVEMENT = "needs_improvement", _("Needs improvement")
    POOR = "poor", _("Poor")
    VERY_POOR = "very_poor", _("Very poor")


class Evaluation(models.Model):
    """An evaluation period of a cycle (a quarter or the year), started by HR."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="evaluations")
    period = models.CharField(_("period"), max_length=6, choices=PERIODS)
    # The period's first and last day in the cycle's year: the plans active in them are evaluated.
    start = models.DateField(_("period start"), null=True)
    end = models.DateField(_("period end"), null=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evaluation period")
        verbose_name_plural = _("evaluation periods")
        constraints = [models.UniqueConstraint(fields=["cycle", "period"], name="evaluation_unique")]

    def __str__(self) -> str:
        return f"{self.cycle} {self.period}"


class UnitReview(Document):
    """One unit's evaluation for a period: the unit's predicate, the forum's review, ratification."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting the unit predicate")
        SCORING = "scoring", _("Scoring")
        ISSUED = "issued", _("Results issued")
        RATIFIED = "ratified", _("Ratified")

    document_type = "unit_review"
    flow_class = FlowRef("processes.flows.unit_review.UnitReviewFlow")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="unit_reviews")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="unit_reviews")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=6, choices=PERIODS)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    unit_predicate = models.CharField(_("unit predicate"), max_length=20, choices=UnitPredicate.choices, blank=True)
    # The leader one level above the unit sets its predicate: the holder of the superior
    # position of the unit leader's position, resolved when the period starts.
    predicate_setter = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    predicate_setter_position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    justification = models.TextField(_("justification of departures"), blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    ratified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("unit review")
        verbose_name_plural = _("unit reviews")
        ordering = ["evaluation", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "unit"], name="unit_review_unique"),
            models.CheckConstraint(condition=Q(status__in=["open", "scoring", "issued", "ratified"]), name="unit_review_status_valid"),
        ]
        indexes = [models.Index(fields=["cycle", "status"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.period}"


class Assessment(Document):
    """An employee's score for a period: the rater's ratings, the predicate, its finality."""

    Rating = Rating
    Predicate = Predicate
    ChangedBy = ChangedBy

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ISSUED = "issued", _("Issued")
        OBJECTED = "objected", _("Under objection")
        FINAL = "final", _("Final")
        RATIFIED = "ratified", _("Ratified")

    document_type = "assessment"
    flow_class = FlowRef("processes.flows.assessment.AssessmentFlow")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="assessments")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="assessments")
    # The review whose forum calibrates this result: the unit's own, or for a unit's leader the
    # review of the unit above (the pattern measures the employees below a unit's leader).
    unit_review = models.ForeignKey(UnitReview, on_delete=models.CASCADE, related_name="assessments")
    # For a unit's leader, the review of the unit they lead: its predicate fixes their results rating.
    led_review = models.ForeignKey(UnitReview, null=True, blank=True, on_delete=models.CASCADE, related_name="leader_assessments")
    member = models.ForeignKey(CycleMember, on_delete=models.CASCADE, related_name="assessments")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="assessments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=6, choices=PERIODS)
    is_unit_leader = models.BooleanField(default=False, help_text=_("leads the unit: the results rating follows the unit's predicate"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    results_rating = models.CharField(_("results rating"), max_length=12, choices=Rating.choices, blank=True)
    behaviour_rating = models.CharField(_("behaviour rating"), max_length=12, choices=Rating.choices, blank=True)
    behaviour_values = models.JSONField(_("behaviour per core value (BerAKHLAK)"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The predicate is always the matrix of the two ratings: the forum and an objection decision
    # change a rating, never the predicate alone (docs/objections-and-deadlines.md).
    rated_predicate = models.CharField(_("predicate from the ratings"), max_length=20, choices=Predicate.choices, blank=True)
    predicate = models.CharField(_("predicate"), max_length=20, choices=Predicate.choices, blank=True)
    # Who made the latest change of the rater's ratings, and the predicate before it.
    changed_by = models.CharField(_("changed by"), max_length=10, choices=ChangedBy.choices, blank=True)
    previous_predicate = models.CharField(_("predicate before the change"), max_length=20, choices=Predicate.choices, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    objection_deadline = models.DateField(_("objection window closes"), null=True, blank=True)
    final_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "member"], name="assessment_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "issued", "objected", "final", "ratified"]),
                name="assessment_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "status"]),
            models.Index(fields=["unit_review", "status"]),
            models.Index(fields=["status", "objection_deadline"]),
            models.Index(fields=["cycle", "unit", "status"], name="assessment_progress"),  # progress per unit
        ]

    def __str__(self) -> str:
        return f"{self.employee.name} {self.period}"

    @property
    def unit_predicate(self) -> str:
        """The predicate of the employee's own unit: for a leader, of the unit they lead (which
        fixes their results rating), though their result is calibrated in the review above."""
        return (self.led_review if self.led_review_id else self.unit_review).unit_predicate

    def get_unit_predicate_display(self) -> str:
        return str(dict(UnitPredicate.choices).get(self.unit_predicate, self.unit_predicate))

    @property
    def adjusted(self) -> bool:
        """The result stands as the forum changed it (an objection decided later replaces that)."""
        return self.changed_by == ChangedBy.FORUM
