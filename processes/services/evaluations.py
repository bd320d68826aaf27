"""Starting an evaluation period: a review per unit and an assessment per approved plan.

A small cycle's period starts at once, in HR's request. A large one (more assessments to create
than one chunk, ``KINERJA_BULK_CHUNK_SIZE``) starts its reviews at once and creates its
assessments in Celery, in chunks, with a progress record that the sweep or HR resumes
(``bulk_runs``): tens of thousands of ``start_many`` rows do not belong in one request.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Position, Unit
from org.services import ReportingLineResolver
from workflow.engine import UNCHANGED, edit, start_many

from ..models import PERIODS, Assessment, BulkRun, Cycle, CycleMember, Evaluation, UnitReview
from . import bulk_runs

logger = logging.getLogger(__name__)


def evaluation_start(*, cycle: Cycle, period: str, actor, origin: dict | None = None) -> tuple[Evaluation, int, int]:
    """HR starts an evaluation period: one assessment per employee with an approved plan and
    one review per unit, created once (a repeated call creates only what is missing). An edit of
    the cycle: its lock serialises two starts, and it must be open. Returns the evaluation and
    how many reviews and assessments were created now (a large period's assessments follow in
    the background: ``evaluation.assessments`` counts them as they come)."""
    created: dict = {}

    def change(flow) -> dict:
        if period not in dict(PERIODS):
            raise ValidationError({"period": [_("Choose Q1, Q2, Q3, Q4 or annual.")]})
        if period != "annual" and flow.document.period_type != Cycle.PeriodType.QUARTERLY:
            raise ValidationError({"period": [_("This cycle is evaluated annually only.")]})
        locked = flow.document
        evaluation, new = Evaluation.objects.get_or_create(cycle=locked, period=period, defaults={"created_by": actor})
        pending = _members_to_assess(locked, evaluation)
        count = pending.count()
        queued = count > settings.KINERJA_BULK_CHUNK_SIZE
        if queued:
            # The reviews (one per unit) now, so the forum's boards exist; the assessments in chunks.
            units = set(Unit.objects.filter(pk__in=CycleMember.objects.filter(cycle=locked, plan__revision__gt=0).values("unit_id")))
            reviews = _create_reviews(locked, evaluation, units)
            assessments: list = []
            total = count + Assessment.objects.filter(evaluation=evaluation).count()
            run = bulk_runs.run_begin(kind=BulkRun.Kind.EVALUATION_START, target=str(evaluation.pk), cycle=locked, total=total)
            bulk_runs.queue_after_commit(run)
        else:
            members = list(pending.select_related("employee", "rater", "raters_superior", "position", "unit", "cycle"))
            reviews = _create_reviews(locked, evaluation, {m.unit for m in members})
            assessments = _create_assessments(locked, evaluation, members, reviews)
        created.update(evaluation=evaluation, reviews=len(reviews["created"]), assessments=len(assessments))
        if not (new or reviews["created"] or assessments or queued):
            return UNCHANGED
        data = {"period": period, "unit_reviews": len(reviews["created"]), "assessments": len(assessments)}
        return {**data, "assessments_queued": count} if queued else data

    edit(cycle, "start_evaluation", actor=actor, change=change, origin=origin)
    return created["evaluation"], created["reviews"], created["assessments"]


def evaluation_populate(evaluation_id: int, *, attempt: int | None = None, chunk_size: int | None = None) -> int:
    """Create a large period's missing assessments in chunks, each committed with the run's
    progress; resumable (what exists is skipped). Returns how many this attempt created."""
    chunk_size = chunk_size or settings.KINERJA_BULK_CHUNK_SIZE
    run = bulk_runs.run_of(BulkRun.Kind.EVALUATION_START, evaluation_id)
    if run is None:
        return 0
    attempt = run.attempts if attempt is None else attempt
    evaluation = Evaluation.objects.select_related("cycle").get(pk=evaluation_id)
    created = 0
    try:
        while True:
            with bulk_runs.chunk(run.pk, attempt) as lease:
                members = list(_members_to_assess(evaluation.cycle, evaluation).order_by("pk")
                               .select_related("employee", "rater", "raters_superior", "position", "unit", "cycle")[:chunk_size])
                if members:
                    reviews = _create_reviews(evaluation.cycle, evaluation, {m.unit for m in members})
                    created += len(_create_assessments(evaluation.cycle, evaluation, members, reviews))
                done = Assessment.objects.filter(evaluation=evaluation).count()
                if not members:
                    bulk_runs.run_finish(run.pk, attempt, done=done)
                    break
                lease.progress(done=done)
            logger.info("evaluation %s: %s assessments", evaluation.pk, done)
    except bulk_runs.Superseded:
        logger.info("evaluation %s: attempt %s was superseded; the newer one goes on", evaluation.pk, attempt)
    except Exception as error:
        bulk_runs.run_fail(run.pk, attempt, error)
        raise
    return created


def _members_to_assess(cycle: Cycle, evaluation: Evaluation):
    """Members with an approved plan and no assessment of the period yet."""
    return (CycleMember.objects.filter(cycle=cycle, plan__revision__gt=0)
            .exclude(pk__in=Assessment.objects.filter(evaluation=evaluation).values("member_id")))


def _create_reviews(cycle, evaluation, units) -> dict:
    existing = {r.unit_id: r for r in UnitReview.objects.filter(evaluation=evaluation)}
    resolver = ReportingLineResolver(on=timezone.localdate())
    leaders = dict(Position.objects.filter(unit__in=units, is_unit_leader=True).values_list("unit_id", "pk"))
    new = []
    for unit in sorted(units, key=lambda u: u.path):
        if unit.pk in existing:
            continue
        leader_position = leaders.get(unit.pk)
        setter_position = resolver.superior_of.get(leader_position) if leader_position else None
        new.append(UnitReview(cycle=cycle, evaluation=evaluation, unit=unit, period=evaluation.period,
                              predicate_setter_id=resolver.holder_of(setter_position),
                              predicate_setter_position_id=setter_position))
    new = start_many(new, data={"period": evaluation.period})
    existing.update({r.unit_id: r for r in new})
    return {"by_unit": existing, "created": new}


def _create_assessments(cycle, evaluation, members, reviews) -> list[Assessment]:
    existing = set(Assessment.objects.filter(evaluation=evaluation, member__in=[m.pk for m in members]).values_list("member_id", flat=True))
    new = [
        Assessment(cycle=cycle, evaluation=evaluation, unit_review=reviews["by_unit"][m.unit_id], member=m,
                   employee_id=m.employee_id, unit_id=m.unit_id, period=evaluation.period,
                   is_unit_leader=bool(m.position and m.position.is_unit_leader and m.position.unit_id == m.unit_id))
        for m in members if m.pk not in existing
    ]
    return start_many(new, data={"period": evaluation.period})
