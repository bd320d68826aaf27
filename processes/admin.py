from django.contrib import admin

from .models import Cycle, CycleMember, CycleRole, Plan, RuleSet


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default"]


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    """Statuses move through the engine (the API's open/close actions), never by editing here."""

    list_display = ["name", "year", "status", "period_type", "plan_deadline", "opening_done", "opening_total"]
    readonly_fields = ["status", "version", "rules", "opening_total", "opening_done", "opened_at", "created_by"]
    filter_horizontal = ["units"]


@admin.register(CycleRole)
class CycleRoleAdmin(admin.ModelAdmin):
    list_display = ["cycle", "user", "role", "unit"]
    list_filter = ["role", "cycle"]


@admin.register(CycleMember)
class CycleMemberAdmin(admin.ModelAdmin):
    list_display = ["employee", "cycle", "unit", "rater", "raters_superior"]
    list_select_related = ["employee", "cycle", "unit", "rater", "raters_superior"]
    search_fields = ["employee__name", "employee__nip"]
    list_filter = ["cycle"]

    def has_change_permission(self, request, obj=None):
        return False  # corrections go through the audited API action


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["employee", "cycle", "unit", "status", "revision", "submitted_at", "approved_at"]
    list_filter = ["cycle", "status"]
    search_fields = ["employee__name", "employee__nip"]
    list_select_related = ["employee", "cycle", "unit"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
