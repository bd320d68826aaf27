from django.db import migrations, models


class Migration(migrations.Migration):
    """One cycle per agency, year and period type: the scope's agencies are kept on the cycle
    (set when it is created) under a unique constraint. Cycles created before stay without a
    key (NULLs are distinct), so no existing data can make this migration fail."""

    dependencies = [
        ("processes", "0010_cycle_deciding_official"),
    ]

    operations = [
        migrations.AddField(
            model_name="cycle",
            name="scope_key",
            field=models.CharField(blank=True, editable=False, max_length=500, null=True),
        ),
        migrations.AddConstraint(
            model_name="cycle",
            constraint=models.UniqueConstraint(fields=("scope_key", "year", "period_type"), name="cycle_one_per_scope_year_period"),
        ),
    ]
