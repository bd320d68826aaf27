"""The appraisal lifecycle's documents."""

from .bulk_runs import BulkRun
from .cycles import Cycle, CycleMember, CycleRole, RuleSet
from .feedback import FeedbackRequest, PublicFeedback, PublicFeedbackLink
from .objections import Objection
from .plans import Indicator, Plan, PlanResult, PlanVersion
from .progress import ProgressSnapshot
from .reports import Evidence, MonthlyReport, Realisation
from .scoring import PERIODS, Assessment, Evaluation, Predicate, Rating, UnitPredicate, UnitReview

__all__ = [
    "Assessment", "BulkRun", "Cycle", "FeedbackRequest", "PublicFeedback", "PublicFeedbackLink", "CycleMember", "CycleRole", "Evaluation",
    "Evidence", "Indicator", "MonthlyReport",
    "Objection", "PERIODS", "Plan", "PlanResult", "PlanVersion", "Predicate", "ProgressSnapshot", "Rating", "Realisation", "RuleSet",
    "UnitPredicate", "UnitReview",
]
