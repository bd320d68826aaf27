from django.contrib import admin

from .models import ActingAssignment, Employee, Position, RoleAssignment, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent"]
    search_fields = ["code", "name"]
    list_filter = ["kind"]
    readonly_fields = ["path"]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "unit", "superior", "is_unit_leader"]
    search_fields = ["code", "title"]
    list_select_related = ["unit", "superior"]
    autocomplete_fields = ["unit", "superior"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["nip", "name", "position", "employment_type", "is_active"]
    search_fields = ["nip", "name", "user__username"]
    list_filter = ["employment_type", "is_active"]
    list_select_related = ["position"]
    autocomplete_fields = ["position", "user"]


@admin.register(ActingAssignment)
class ActingAssignmentAdmin(admin.ModelAdmin):
    list_display = ["employee", "kind", "position", "start", "end"]
    autocomplete_fields = ["employee", "position"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit"]
    autocomplete_fields = ["unit"]
