"""The web interface. Each area has its own URL module (employee and rater work, the forum and
ratification, HR), so that its views and templates stay together."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views.home import home, notification_read

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("notifications/<int:pk>/read/", notification_read, name="notification-read"),
    path("", include("web.urls_work")),
    path("", include("web.urls_review")),
    path("hr/", include("web.urls_hr")),
]
