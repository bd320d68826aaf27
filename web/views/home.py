"""The home page is the user's inbox: open tasks with due dates, and notifications."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.http import require_POST

from notifications.messages import render as render_message
from notifications.models import Notification
from notifications.services import notification_mark_read
from processes.labels import labels_of
from processes.selectors import notifications_for, open_tasks_for, unread_count

from ..document_history import action_label
from ..links import page_for


@login_required
def home(request):
    tasks = list(open_tasks_for(request.user)[:100])
    labels = labels_of((task.document_type, task.document_id) for task in tasks)
    for task in tasks:
        task.label = labels.get(task.document_type, {}).get(task.document_id, f"{task.document_type} #{task.document_id}")
        task.url = page_for(task.document_type, task.document_id)
        task.labels = [action_label(task.document_type, a) for a in task.actions]
    notifications = list(notifications_for(request.user)[:20])
    language = translation.get_language()
    for notification in notifications:
        notification.message = render_message(notification.event, notification.data, language)
        notification.url = page_for(notification.document_type, notification.document_id) if notification.document_type else ""
    unread = unread_count(request.user)
    return render(request, "web/home.html", {"tasks": tasks, "notifications": notifications, "unread": unread})


@login_required
@require_POST
def notification_read(request, pk: int):
    notification_mark_read(notification=get_object_or_404(Notification, pk=pk, recipient=request.user))
    return redirect(request.POST.get("next") or "home")
