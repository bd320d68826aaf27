from django.contrib import admin
from django.urls import include, path

from web.health import health, live, ready
from web.links import document
from web.public import public_feedback

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("f/<str:token>/", public_feedback, name="public-feedback"),
    path("d/<str:document_type>/<int:document_id>/", document, name="document-link"),
    # Load balancers: live/ and ready/ (answered first by web.health.ProbeMiddleware); monitoring: health/.
    path("health/live/", live, name="health-live"),
    path("health/ready/", ready, name="health-ready"),
    path("health/", health, name="health"),
    path("", include("web.urls")),
]

# An unreachable database met outside a view is a 503, not a 500 (config/unavailable.py).
handler500 = "config.unavailable.server_error"
