"""A synthetic cycle carried through every step of the year via the engine, with realistic
rates (20% of plans returned once, 5% objections), timing each step. For the simulation
command and benchmarks; every change goes through the same services and engine as people's."""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.utils import timezone

from org.models import Employee, RoleAssignment, Unit
from org.synthetic import build, plan_organisation
from workflow.engine import perform

from .models import Assessment, CycleMember, CycleRole, Indicator, MonthlyReport, Plan, PlanResult, UnitReview
from .services.cycles import cycle_create, cycle_open, cycle_populate
from .services.evaluations import evaluation_start
from .services.objections import objection_decide, objection_explain, objection_file
from .services.plans import plan_update_content
from .services.reports import report_update_realisations, reports_open_month
from .services.scoring import assessment_rate, unit_review_approve, unit_review_ratify, unit_review_set_predicate


class Simulation:
    def __init__(self, employees: int, *, months: int = 12, seed: int = 1, prefix: str | None = None, out=None):
        self.employees, self.months, self.rng = employees, months, random.Random(seed)
        self.prefix = prefix or f"SIM{int(time.time())}"
        self.seed, self.out = seed, out
        self.timings: dict[str, float] = {}
        self.counts: Counter = Counter()

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - started
        if self.out:
            self.out(f"{name}: {self.timings[name]:.1f} s")

    def run(self) -> dict:
        year = timezone.localdate().year
        with self.step("organisation"):
            build(plan_organisation(self.employees, prefix=self.prefix, seed=self.seed), prefix=self.prefix,
                  first_k=Employee.objects.count())
            agencies = list(Unit.objects.filter(parent__code=self.prefix))
            User = get_user_model()
            hr = User.objects.create(username=f"{self.prefix.lower()}-hr", is_staff=False)
            RoleAssignment.objects.create(user=hr, role=RoleAssignment.Role.HR, unit=Unit.objects.get(code=self.prefix))
        with self.step("cycle opening"):
            cycle = cycle_create(actor=hr, name=f"Simulasi {self.prefix}", year=year, units=agencies,
                                 plan_deadline=datetime.date(year, 12, 31))
            for agency in agencies:
                CycleRole.objects.create(cycle=cycle, user=hr, role=CycleRole.Role.FORUM_MEMBER, unit=agency)
            CycleRole.objects.create(cycle=cycle, user=hr, role=CycleRole.Role.RATIFYING_OFFICIAL)
            cycle_open(cycle=cycle, actor=hr)
            cycle_populate(cycle.pk)
            cycle.refresh_from_db()
            self.counts["plans"] = Plan.objects.filter(cycle=cycle).count()
        with self.step("plans"):
            self._plans(cycle)
        with self.step(f"reports ({self.months} months)"):
            self._reports(cycle, year)
        with self.step("scoring"):
            evaluation, _reviews, _assessments = evaluation_start(cycle=cycle, period="annual", actor=hr)
            for review in UnitReview.objects.filter(evaluation=evaluation).select_related("predicate_setter__user"):
                unit_review_set_predicate(review=review, actor=review.predicate_setter.user,
                                          unit_predicate=self.rng.choice(["outstanding", "good", "good", "needs_improvement"]))
            for a in Assessment.objects.filter(evaluation=evaluation).select_related("member__rater__user"):
                rater = a.member.rater.user
                results, behaviour = self.rng.choice([("as_expected", "as_expected")] * 6
                                                     + [("above", "above"), ("above", "as_expected"), ("below", "as_expected")])
                assessment_rate(assessment=a, actor=rater, ratings={"results_rating": results, "behaviour_rating": behaviour})
                perform(a, "submit", actor=rater)
            self.counts["assessments"] = Assessment.objects.filter(evaluation=evaluation).count()
        with self.step("forum review"):
            for review in UnitReview.objects.filter(evaluation=evaluation):
                unit_review_approve(review=review, actor=hr, justification="Simulasi: sesuai rapat forum kalibrasi kinerja")
        with self.step("objections and acceptance"):
            self._objections(evaluation)
        with self.step("ratification"):
            for review in UnitReview.objects.filter(evaluation=evaluation):
                unit_review_ratify(review=review, actor=hr)
            perform(cycle, "close", actor=hr)
            self.counts["ratified"] = Assessment.objects.filter(evaluation=evaluation, status="ratified").count()
        cycle.refresh_from_db()
        return {"cycle": cycle.pk, "status": cycle.status, "counts": dict(self.counts), "seconds": self.timings}

    def _plans(self, cycle) -> None:
        """Top of the hierarchy first: each plan supports its rater's approved result."""
        members = list(CycleMember.objects.filter(cycle=cycle).select_related("employee__user", "rater__user", "position"))
        in_scope = {m.employee_id for m in members}
        depth: dict[int, int] = {}

        def level(member) -> int:
            if member.employee_id not in depth:
                depth[member.employee_id] = 0 if member.rater_id not in in_scope else level(by_employee[member.rater_id]) + 1
            return depth[member.employee_id]

        by_employee = {m.employee_id: m for m in members}
        approved_result: dict[int, int] = {}
        for member in sorted(members, key=level):
            plan = Plan.objects.get(member=member)
            plan_update_content(plan=plan, actor=member.employee.user, results=[{
                "title": "Hasil kerja utama", "kind": "main", "supports": approved_result.get(member.rater_id),
                "indicators": [{"description": "Dokumen selesai", "target": "12 dokumen", "aspect": "quantity"}],
            }])
            perform(plan, "submit", actor=member.employee.user)
            if self.rng.random() < 0.20:
                perform(plan, "return", actor=member.rater.user, comment="Lengkapi target kualitas")
                perform(plan, "submit", actor=member.employee.user)
                self.counts["plans returned"] += 1
            perform(plan, "approve", actor=member.rater.user)
            approved_result[member.employee_id] = PlanResult.objects.filter(plan=plan).values_list("pk", flat=True).get()

    def _reports(self, cycle, year: int) -> None:
        for month in range(1, self.months + 1):
            reports_open_month(year=year, month=month)
        reports = MonthlyReport.objects.filter(cycle=cycle).select_related("employee__user", "member__rater__user")
        indicators = dict(Indicator.objects.filter(result__plan__cycle=cycle).values_list("result__plan_id", "pk"))
        for report in reports:
            report_update_realisations(report=report, actor=report.employee.user,
                                       items=[{"indicator": indicators[report.plan_id], "value": "1 dokumen"}])
            perform(report, "submit", actor=report.employee.user)
            perform(report, "accept", actor=report.member.rater.user)
            self.counts["reports"] += 1

    def _objections(self, evaluation) -> None:
        for a in Assessment.objects.filter(evaluation=evaluation).select_related(
            "employee__user", "member__rater__user", "member__raters_superior__user"
        ):
            if self.rng.random() < 0.05 and a.member.raters_superior_id:
                objection = objection_file(assessment=a, actor=a.employee.user, reasons="Capaian saya melampaui target")
                objection_explain(objection=objection, actor=a.member.rater.user, explanation="Penjelasan penilai")
                objection_explain(objection=objection, actor=a.employee.user, explanation="Penjelasan pegawai")
                changed = self.rng.random() < 0.5
                # A leader's results rating follows their unit's predicate: only behaviour can change.
                field = "behaviour_rating" if a.is_unit_leader else "results_rating"
                new_rating = next(r for r in ("above", "as_expected", "below") if r != getattr(a, field))
                objection_decide(objection=objection, actor=a.member.raters_superior.user,
                                 outcome="changed" if changed else "upheld", reasons="Hasil pemeriksaan",
                                 **({field: new_rating} if changed else {}))
                self.counts["objections"] += 1
                self.counts["objections changed"] += changed
            else:
                perform(a, "accept", actor=a.employee.user)
