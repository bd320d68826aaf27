from django.urls import path
from django.views.generic import RedirectView

from .views import hr, hr_cycle, hr_deliveries, hr_links, hr_members, hr_org

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="hr-cycles"), name="hr"),
    path("cycles/", hr.cycles, name="hr-cycles"),
    path("cycles/<int:pk>/", hr_cycle.cycle_detail, name="cycle-detail"),
    path("cycles/<int:pk>/opening/", hr_cycle.cycle_opening, name="cycle-opening"),
    path("cycles/<int:pk>/progress/refresh/", hr_cycle.cycle_progress_refresh, name="cycle-progress-refresh"),
    path("cycles/<int:pk>/members/", hr_members.cycle_members, name="cycle-members"),
    path("organisation/import/", hr_org.org_import, name="hr-import"),
    path("delegations/", hr_org.delegations, name="hr-delegations"),
    path("webhooks/", hr_links.webhooks, name="hr-webhooks"),
    path("deliveries/", hr_deliveries.deliveries, name="hr-deliveries"),
    path("public-links/", hr_links.public_links, name="hr-links"),
    path("public-links/<int:pk>/print/", hr_links.public_link_print, name="hr-link-print"),
]
