from django.contrib import admin

from workflow.admin import ReadOnlyAdmin

from .models import Cycle, CycleMember, CycleRole, Plan, RuleSet


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default"]


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    """A document: it is created and moves through the engine (the pages' and the API's
    actions), never by editing here."""

    list_display = ["name", "year", "status", "period_type", "plan_deadline", "opening_done", "opening_total"]


@admin.register(CycleRole)
class CycleRoleAdmin(admin.ModelAdmin):
    list_display = ["cycle", "user", "role", "unit"]
    list_filter = ["role", "cycle"]


@admin.register(CycleMember)
class CycleMemberAdmin(ReadOnlyAdmin):
    """Corrections of the reporting line go through the audited service (pages and API)."""

    list_display = ["employee", "cycle", "unit", "rater", "raters_superior"]
    list_select_related = ["employee", "cycle", "unit", "rater", "raters_superior"]
    search_fields = ["employee__name", "employee__nip"]
    list_filter = ["cycle"]


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ["employee", "cycle", "unit", "status", "revision", "submitted_at", "approved_at"]
    list_filter = ["cycle", "status"]
    search_fields = ["employee__name", "employee__nip"]
    list_select_related = ["employee", "cycle", "unit"]
