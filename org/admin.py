"""The organisation in the admin: read-only for units, positions, role assignments, acting
officials and delegations, whose every change is an audited service (org.writes,
org.delegations) that HR reaches through the pages and the API; nobody writes around them here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from workflow.admin import ReadOnlyAdmin

from .models import ActingAssignment, Delegation, Employee, Position, RoleAssignment, Unit


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    search_fields = ["code", "name"]
    list_filter = ["kind", "is_active"]


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "unit", "superior", "is_unit_leader", "kind", "functional_level"]
    search_fields = ["code", "title"]
    list_filter = ["kind", "functional_level"]
    list_select_related = ["unit", "superior"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["nip", "name", "position", "employment_type", "grade", "position_start", "contract_end", "is_active"]
    search_fields = ["nip", "name", "user__username"]
    list_filter = ["employment_type", "grade", "is_active"]
    list_select_related = ["position"]
    autocomplete_fields = ["position", "user"]
    fieldsets = [
        (None, {"fields": ["nip", "name", "user", "language", "is_active"]}),
        (_("Position and rank"), {"fields": ["position", "position_start", "employment_type", "grade"]}),
        (_("PPPK contract"), {"fields": ["contract_start", "contract_end"]}),
    ]


@admin.register(ActingAssignment)
class ActingAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["employee", "kind", "position", "start", "end"]
    list_select_related = ["employee", "position"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ["delegator", "delegate", "start", "end", "ended_at", "reason"]
    list_select_related = ["delegator", "delegate"]
