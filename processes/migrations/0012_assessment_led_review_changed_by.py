"""A leader's assessment names the review of the unit they lead (its predicate fixes their
results rating); ``adjusted`` becomes ``changed_by`` (the forum or an objection decision), with
the predicate before the latest change."""

import django.db.models.deletion
from django.db import migrations, models

PREDICATES = [("very_good", "Very good"), ("good", "Good"), ("needs_improvement", "Needs improvement"),
              ("poor", "Poor (misconduct)"), ("very_poor", "Very poor")]


def adjusted_to_changed_by(apps, schema_editor):
    Assessment = apps.get_model("processes", "Assessment")
    Assessment.objects.filter(adjusted=True).update(changed_by="forum")
    # Until now a leader's assessment sat in the review of the unit they lead.
    Assessment.objects.filter(is_unit_leader=True).update(led_review=models.F("unit_review"))


class Migration(migrations.Migration):

    dependencies = [
        ("processes", "0011_cycle_unique_scope"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="changed_by",
            field=models.CharField(blank=True, choices=[("forum", "the calibration forum"), ("objection", "the objection decision")],
                                   max_length=10, verbose_name="changed by"),
        ),
        migrations.AddField(
            model_name="assessment",
            name="led_review",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="leader_assessments",
                                    to="processes.unitreview"),
        ),
        migrations.AddField(
            model_name="assessment",
            name="previous_predicate",
            field=models.CharField(blank=True, choices=PREDICATES, max_length=20, verbose_name="predicate before the change"),
        ),
        migrations.RunPython(adjusted_to_changed_by, migrations.RunPython.noop),
    ]
