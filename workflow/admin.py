from django.contrib import admin

from .models import AuditEvent, OpenTask


class ReadOnlyAdmin(admin.ModelAdmin):
    """The engine alone writes these rows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "document_type", "document_id", "seq", "action", "from_state", "to_state", "actor", "on_behalf_of"]
    list_filter = ["document_type", "action"]
    search_fields = ["=document_id", "actor__username"]
    list_select_related = ["actor", "on_behalf_of"]


@admin.register(OpenTask)
class OpenTaskAdmin(ReadOnlyAdmin):
    list_display = ["document_type", "document_id", "role", "assignee", "due_at", "closed_at"]
    list_filter = ["document_type", "role"]
    list_select_related = ["assignee"]
