"""What ``GET /api/v1/cycles/{id}/progress/`` answers, for the schema: the counts of
processes/selectors/progress.py with the freshness of processes/services/progress.py."""

from __future__ import annotations

from rest_framework import serializers


class StatusCounts(serializers.DictField):
    """Counts by status: every status of the document type, zero included."""

    child = serializers.IntegerField()


class UnitCountsSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    statuses = StatusCounts()
    late = serializers.IntegerField(required=False, help_text="reports only: submitted late or past due")


class DocumentCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    statuses = StatusCounts()
    units = UnitCountsSerializer(many=True, help_text="per unit of the cycle's scope, by the unit's name")
    late = serializers.IntegerField(required=False, help_text="reports only")


class ObjectionCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    statuses = StatusCounts()


class DocumentsSerializer(serializers.Serializer):
    plan = DocumentCountsSerializer()
    report = DocumentCountsSerializer()
    assessment = DocumentCountsSerializer()
    unit_review = DocumentCountsSerializer()
    objection = ObjectionCountsSerializer()


class OpeningSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="employees the cycle is opened for")
    done = serializers.IntegerField(help_text="of them, with their plan created")


class ProgressPublicFeedbackSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    count = serializers.IntegerField()
    mean = serializers.FloatField()


class CycleProgressSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    status = serializers.CharField()
    opening = OpeningSerializer()
    documents = DocumentsSerializer()
    overdue_tasks = StatusCounts(help_text="open tasks past their due time, by document type")
    public_feedback = ProgressPublicFeedbackSerializer(many=True, help_text="the public's ratings of the cycle's year, per unit")
    as_of = serializers.DateTimeField(help_text="when the counts were made (a snapshot refreshed in the background)")
    stale = serializers.BooleanField(help_text="older than KINERJA_PROGRESS_MAX_AGE: a refresh is queued")
