"""The rows of HR's lists of a cycle (late reports, overdue tasks), as HR's cycle page shows
them; the lists themselves are the selectors' (processes/selectors/hr_dashboard.py)."""

from __future__ import annotations

from rest_framework import serializers

from processes.models import MonthlyReport
from workflow.models import OpenTask

from .plans import EmployeeRefSerializer


class LateReportSerializer(serializers.ModelSerializer):
    employee = EmployeeRefSerializer()
    unit_name = serializers.CharField(source="unit.name")
    unsubmitted = serializers.BooleanField(help_text="past its deadline and not submitted yet (else: submitted late)")

    class Meta:
        model = MonthlyReport
        fields = ["id", "employee", "unit", "unit_name", "month", "due_at", "status", "submitted_at", "late", "unsubmitted"]


class OverdueTaskSerializer(serializers.ModelSerializer):
    label = serializers.CharField(help_text="the document in words")
    holder = serializers.CharField(help_text="who holds the task; empty for a vacant position")

    class Meta:
        model = OpenTask
        fields = ["id", "document_type", "document_id", "label", "role", "actions", "due_at", "assignee", "holder",
                  "position", "unit"]
