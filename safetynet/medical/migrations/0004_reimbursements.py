"""The bill of a manual medical reimbursement, one per case (issue 20 part 4; medical/reimbursement_models.py)."""

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0003_alter_post_role'),
        ('cases', '0008_deliberation_participant'),
        ('medical', '0003_statements'),
        ('registry', '0004_normalise_names_and_addresses'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReimbursementBill',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('treated_at', models.CharField(max_length=200, verbose_name='where treated')),
                ('not_settled_because', models.CharField(choices=[('not_designated', 'the hospital is not a designated institution'), ('out_of_province', 'treated in another province'), ('before_enrollment', 'treated before the person qualified'), ('other', 'other')], max_length=20, verbose_name='why not settled at the cashier')),
                ('admitted_on', models.DateField(verbose_name='admitted')),
                ('discharged_on', models.DateField(verbose_name='discharged')),
                ('total_cost', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='total cost')),
                ('basic_insurance_paid', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='paid by basic medical insurance')),
                ('critical_illness_paid', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='paid by critical-illness insurance')),
                ('eligible_self_paid', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='eligible self-paid')),
                ('ineligible_self_paid', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='ineligible self-paid')),
                ('filed_by', models.CharField(max_length=150)),
                ('filed_at', models.DateTimeField(auto_now_add=True)),
                ('area', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='areas.area')),
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.case', verbose_name='case')),
                ('household', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.household')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.person', verbose_name='patient')),
            ],
            options={
                'verbose_name': 'reimbursement bill',
                'verbose_name_plural': 'reimbursement bills',
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['area', 'discharged_on'], name='medical_reimb_area_day')],
                'constraints': [models.CheckConstraint(condition=models.Q(('discharged_on__gte', models.F('admitted_on'))), name='medical_reimb_dates_in_order'), models.CheckConstraint(condition=models.Q(('basic_insurance_paid__gte', 0), ('critical_illness_paid__gte', 0), ('eligible_self_paid__gte', 0), ('ineligible_self_paid__gte', 0)), name='medical_reimb_not_negative')],
            },
        ),
    ]
