"""The employee's and the rater's pages: their own work, the team, and each document's page
(the URL names of web/links.py PAGES)."""

from django.urls import path

from .views import work

urlpatterns = [
    path("me/work/", work.my_work, name="my-work"),
    path("team/", work.team, name="team"),
    path("plans/<int:pk>/", work.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/reports/", work.report_start, name="report-start"),
    path("reports/<int:pk>/", work.report_detail, name="report-detail"),
    path("assessments/<int:pk>/", work.assessment_detail, name="assessment-detail"),
    path("objections/<int:pk>/", work.objection_detail, name="objection-detail"),
    path("feedback/<int:pk>/", work.feedback_answer_page, name="feedback-answer"),
]
