"""The pages of the employee's and the rater's work. The views live in web/views/work_*.py
(lists, plans, reports, scoring, objections and feedback); this module names them for the URLs."""

from .work_lists import my_work, team
from .work_objections import feedback_answer_page, objection_detail
from .work_plans import plan_detail
from .work_reports import report_detail, report_start
from .work_scoring import assessment_detail

__all__ = [
    "assessment_detail", "feedback_answer_page", "my_work", "objection_detail", "plan_detail", "report_detail",
    "report_start", "team",
]
