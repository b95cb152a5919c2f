"""Overpayments recovered or waived (issue 5 follow-up): what is still outstanding of each, and
each recovery or waiver. Existing rows: an open one owes its whole amount."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def outstanding_from_amount(apps, schema_editor):
    Overpayment = apps.get_model("payments", "Overpayment")
    Overpayment.objects.filter(status="open").update(outstanding=models.F("amount"))
    for row in Overpayment.objects.exclude(status="open").only("id", "created_at"):
        Overpayment.objects.filter(pk=row.pk).update(settled_on=row.created_at.date())


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('payments', '0005_changes_and_exits'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OverpaymentSettlement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('recovered', 'recovered'), ('waived', 'waived')], max_length=12, verbose_name='settled by')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='amount')),
                ('on', models.DateField(verbose_name='date')),
                ('method', models.CharField(blank=True, choices=[('bank_transfer', 'paid back by bank transfer'), ('cash', 'paid back in cash at the office'), ('other', 'other (say how in the note)')], max_length=16, verbose_name='how')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='note')),
                ('leader_name', models.CharField(blank=True, max_length=150)),
                ('recorded_by', models.CharField(max_length=150)),
                ('recorded_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'overpayment settlement',
                'verbose_name_plural': 'overpayment settlements',
                'ordering': ['overpayment_id', 'id'],
            },
        ),
        migrations.AddField(
            model_name='overpayment',
            name='outstanding',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=12, verbose_name='outstanding'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='overpayment',
            name='settled_on',
            field=models.DateField(blank=True, null=True, verbose_name='settled on'),
        ),
        migrations.RunPython(outstanding_from_amount, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='overpayment',
            constraint=models.CheckConstraint(condition=models.Q(('outstanding__gte', 0), ('outstanding__lte', models.F('amount'))), name='overpayment_outstanding_within_amount'),
        ),
        migrations.AddConstraint(
            model_name='overpayment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('outstanding__gt', 0), ('settled_on__isnull', True), ('status', 'open')), models.Q(('outstanding', 0), ('settled_on__isnull', False), ('status__in', ['recovered', 'waived'])), _connector='OR'), name='overpayment_status_matches_outstanding'),
        ),
        migrations.AddField(
            model_name='overpaymentsettlement',
            name='area',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='areas.area', verbose_name='area'),
        ),
        migrations.AddField(
            model_name='overpaymentsettlement',
            name='leader',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='county leader who decided'),
        ),
        migrations.AddField(
            model_name='overpaymentsettlement',
            name='overpayment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='settlements', to='payments.overpayment', verbose_name='overpayment'),
        ),
        migrations.AddField(
            model_name='overpaymentsettlement',
            name='recorded_by_user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='overpaymentsettlement',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='settlement_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='overpaymentsettlement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'recovered'), ('leader__isnull', True), models.Q(('method', ''), _negated=True)), models.Q(('kind', 'waived'), ('leader__isnull', False), ('method', ''), models.Q(('note', ''), _negated=True)), _connector='OR'), name='settlement_recovery_says_how_waiver_who_and_why'),
        ),
    ]
