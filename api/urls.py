from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from .accounts import MeView, TokenView
from .cycles import CycleViewSet, MemberViewSet
from .delegations import DelegationViewSet
from .deliveries import DeliveryViewSet
from .feedback_requests import FeedbackRequestViewSet
from .inbox import NotificationViewSet, TaskViewSet
from .objections import ObjectionViewSet
from .plans import PlanViewSet
from .preferences import PreferencesView
from .public_links import PublicLinkViewSet
from .reports import ReportViewSet
from .scoring import AssessmentViewSet, UnitReviewViewSet
from .service_accounts import ServiceAccountViewSet, UserTokensViewSet
from .units import UnitViewSet
from .webhooks import WebhookViewSet

router = DefaultRouter()
# The trailing slash is optional: `/cycles/1/results.xlsx` and `/plans/1/submit/` both work.
# (DefaultRouter's argument is a boolean; the pattern itself takes the regex.)
router.trailing_slash = "/?"
router.register("cycles", CycleViewSet, basename="cycle")
router.register("cycle-members", MemberViewSet, basename="cycle-member")
router.register("plans", PlanViewSet, basename="plan")
router.register("reports", ReportViewSet, basename="report")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("unit-reviews", UnitReviewViewSet, basename="unit-review")
router.register("objections", ObjectionViewSet, basename="objection")
router.register("feedback-requests", FeedbackRequestViewSet, basename="feedback-request")
router.register("units", UnitViewSet, basename="unit")
router.register("public-links", PublicLinkViewSet, basename="public-link")
router.register("delegations", DelegationViewSet, basename="delegation")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("tasks", TaskViewSet, basename="task")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("service-accounts", ServiceAccountViewSet, basename="service-account")
router.register("users", UserTokensViewSet, basename="user")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("me/preferences/", PreferencesView.as_view(), name="me-preferences"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its set-up script served apart (docs/?script): no inline script, as the CSP requires.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]
