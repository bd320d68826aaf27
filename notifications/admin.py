from django.contrib import admin

from workflow.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox: the engine writes it with each change; nothing is added or edited here."""

    list_display = ["created_at", "recipient", "event", "document_type", "document_id", "read_at"]
    list_filter = ["event"]
    list_select_related = ["recipient"]
