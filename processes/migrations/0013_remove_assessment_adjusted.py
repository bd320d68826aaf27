"""``adjusted`` is now ``Assessment.changed_by == "forum"`` (a separate migration: PostgreSQL does
not alter a table with the previous migration's deferred foreign-key checks pending)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("processes", "0012_assessment_led_review_changed_by"),
    ]

    operations = [
        migrations.RemoveField(model_name="assessment", name="adjusted"),
    ]
