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

from ..models import Assessment, BulkRun, Cycle, CycleMember, Evaluation, UnitReview
from . import bulk_runs
from .periods import evaluation_dates, periods_of

logger = logging.getLogger(__name__)


def evaluation_start(*, cycle: Cycle, period: str, actor, origin: dict | None = None) -> tuple[Evaluation, int, int]:
    """HR starts an evaluation period: one assessment per employee with an approved plan and
    one review per unit, created once (a repeated call creates only what is missing). An edit of
    the cycle: its lock serialises two starts, and it must be open. Returns the evaluation and
    how many reviews and assessments were created now (a large period's assessments follow in
    the background: ``evaluation.assessments`` counts them as they come)."""
    created: dict = {}

    def change(flow) -> dict:
        locked = flow.document
        allowed = periods_of(locked.period_type)
        if period not in allowed:
            if locked.period_type == Cycle.PeriodType.ANNUAL:
                raise ValidationError({"period": [_("This cycle is evaluated annually only.")]})
            raise ValidationError({"period": [_("Choose one of: %(periods)s.") % {"periods": ", ".join(allowed)}]})
        _refuse_out_of_order(locked, period, allowed)
        first, last = evaluation_dates(locked.year, period)
        evaluation, new = Evaluation.objects.get_or_create(cycle=locked, period=period,
                                                           defaults={"created_by": actor, "start": first, "end": last})
        pending = _members_to_assess(locked, evaluation)
        count = pending.count()
        queued = count > settings.KINERJA_BULK_CHUNK_SIZE
        if queued:
            # The reviews (one per unit) now, so the forum's boards exist; the assessments in chunks.
            rows = (pending
                    .values_list("unit_id", "position__is_unit_leader", "position__unit_id").distinct())
            leading = {unit for unit, leader, position_unit in rows if leader and position_unit == unit}
            reviews = _create_reviews(locked, evaluation, review_units(locked, {unit for unit, *_ in rows}, leading))
            assessments: list = []
            total = count + Assessment.objects.filter(evaluation=evaluation).count()
            run = bulk_runs.run_begin(kind=BulkRun.Kind.EVALUATION_START, target=str(evaluation.pk), cycle=locked, total=total)
            bulk_runs.queue_after_commit(run)
        else:
            members = list(pending.select_related("employee", "rater", "raters_superior", "position", "unit", "cycle"))
            reviews = _create_reviews(locked, evaluation, _units_of(locked, members))
            assessments = _create_assessments(locked, evaluation, members, reviews)
        created.update(evaluation=evaluation, reviews=len(reviews["created"]), assessments=len(assessments))
        if not (new or reviews["created"] or assessments or queued):
            return UNCHANGED
        data = {"period": period, "unit_reviews": len(reviews["created"]), "assessments": len(assessments)}
        return {**data, "assessments_queued": count} if queued else data

    edit(cycle, "start_evaluation", actor=actor, change=change, origin=origin)
    return created["evaluation"], created["reviews"], created["assessments"]


def _refuse_out_of_order(cycle: Cycle, period: str, allowed: list[str]) -> None:
    """Periodic evaluations start in order: a period before an earlier one not started yet is
    refused (the annual one may start whenever HR chooses)."""
    if period == "annual":
        return
    started = set(Evaluation.objects.filter(cycle=cycle).values_list("period", flat=True))
    if period in started:  # started already (perhaps before the rule): starting it again picks up late plans
        return
    missing = [earlier for earlier in allowed[:allowed.index(period)] if earlier not in started]
    if missing:
        raise ValidationError({"period": [_("Start %(earlier)s first: periods are evaluated in order.") % {"earlier": missing[0]}]})


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
                    reviews = _create_reviews(evaluation.cycle, evaluation, _units_of(evaluation.cycle, members))
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
    """Members whose approved plan's period overlaps the evaluation period's dates, and who
    have no assessment of the period yet: each plan of the year, ended or running, is evaluated
    for its own period by its own rater."""
    first, last = evaluation_dates(cycle.year, evaluation.period)
    return (CycleMember.objects.filter(cycle=cycle, plan__revision__gt=0, plan__start__lte=last, plan__end__gte=first)
            .exclude(pk__in=Assessment.objects.filter(evaluation=evaluation).values("member_id")))


def _leads_own_unit(member: CycleMember) -> bool:
    return bool(member.position and member.position.is_unit_leader and member.position.unit_id == member.unit_id)


def review_units(cycle: Cycle, unit_ids: set[int], leading: set[int]) -> list[Unit]:
    """The units whose reviews the period needs: each member's unit, and for a unit whose
    leader is a member, the unit above it when that unit is in the cycle's scope (the review
    that holds the leader: docs/predicates-and-distribution.md)."""
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids | leading).select_related("parent")}
    parents = {units[pk].parent for pk in leading if pk in units and units[pk].parent_id}
    roots = [u.path for u in cycle.units.all()]
    in_scope = {p for p in parents if any(p.path.startswith(root) for root in roots)}
    return sorted(set(units.values()) | in_scope, key=lambda u: u.path)


def _units_of(cycle: Cycle, members: list[CycleMember]) -> list[Unit]:
    return review_units(cycle, {m.unit_id for m in members}, {m.unit_id for m in members if _leads_own_unit(m)})


def review_unit_of(unit: Unit, *, leads: bool, reviews: dict) -> int:
    """The unit whose review holds a member's assessment: their own unit's, or for a unit's
    leader, the review of the unit above (whose leader rates them), where the period has one;
    a leader at the top of the cycle's scope stays in their own unit's review, outside its
    pattern (``UnitReviewFlow`` counts nobody whose results follow the review's own predicate)."""
    if leads and unit.parent_id in reviews:
        return unit.parent_id
    return unit.pk


def _create_reviews(cycle, evaluation, units) -> dict:
    """A review (started through the engine) for each of ``units`` the period does not have yet;
    returns every review of the period by unit, and those created now."""
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
    by_unit = reviews["by_unit"]
    new = []
    for m in members:
        if m.pk in existing:
            continue
        leads = _leads_own_unit(m)
        new.append(Assessment(
            cycle=cycle, evaluation=evaluation, unit_review=by_unit[review_unit_of(m.unit, leads=leads, reviews=by_unit)],
            led_review=by_unit[m.unit_id] if leads else None, member=m, employee_id=m.employee_id, unit_id=m.unit_id,
            period=evaluation.period, is_unit_leader=leads,
        ))
    return start_many(new, data={"period": evaluation.period})
