"""Each document's row keeps its audit chain's signed head (workflow.audit.anchors); the chains
written before the audit key get theirs here, once (workflow.audit.seal: every chain, the
records' too, since this is the last migration the anchors need)."""

from django.db import migrations, models

from workflow.audit.seal import seal_legacy_chains


class Migration(migrations.Migration):

    dependencies = [
        ('processes', '0013_remove_assessment_adjusted'),
        ('workflow', '0005_audit_keys_and_heads'),
    ]

    operations = [
        migrations.AddField(
            model_name='assessment',
            name='audit_anchor',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.AddField(
            model_name='assessment',
            name='audit_last',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='assessment',
            name='audit_seq',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='cycle',
            name='audit_anchor',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.AddField(
            model_name='cycle',
            name='audit_last',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='cycle',
            name='audit_seq',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='feedbackrequest',
            name='audit_anchor',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.AddField(
            model_name='feedbackrequest',
            name='audit_last',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='feedbackrequest',
            name='audit_seq',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='monthlyreport',
            name='audit_anchor',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.AddField(
            model_name='monthlyreport',
            name='audit_last',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='monthlyreport',
            name='audit_seq',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='objection',
            name='audit_anchor',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.AddField(
            model_name='objection',
            name='audit_last',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='objection',
            name='audit_seq',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='plan',
            name='audit_anchor',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.AddField(
            model_name='plan',
            name='audit_last',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='plan',
            name='audit_seq',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='unitreview',
            name='audit_anchor',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.AddField(
            model_name='unitreview',
            name='audit_last',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='unitreview',
            name='audit_seq',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(seal_legacy_chains, migrations.RunPython.noop),
    ]
