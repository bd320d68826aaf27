from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from .accounts import MeView, TokenView
from .cycles import CycleViewSet, MemberViewSet
from .inbox import NotificationViewSet, TaskViewSet
from .plans import PlanViewSet

router = DefaultRouter()
router.register("cycles", CycleViewSet, basename="cycle")
router.register("cycle-members", MemberViewSet, basename="cycle-member")
router.register("plans", PlanViewSet, basename="plan")
router.register("tasks", TaskViewSet, basename="task")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]
