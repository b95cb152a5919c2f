"""The payments app's models now belong to enrollments and payroll (issue 16): taken out of this
app's state only. No table is touched here: enrollments 0001 and payroll 0001 took the same tables
into their state first, and their 0002 rename them (enrollments_*, payroll_*) without copying a row.

Backward, the two apps' 0002 give the tables their payments_* names again before this migration
gives the models back to payments."""
from django.db import migrations

# Children before their parents, so that no model left in the state points at one gone. A re-check
# and the change that closed it point at each other: the change's reference goes first.
MODELS = ["Payment", "PayrollRun", "ChangeProposal", "TriggerSignal", "PendingEnding", "ChangeReport",
          "OverpaymentSettlement", "Overpayment", "WorkRefusalDeduction", "EnrollmentTerm", "Recheck",
          "EnrollmentChange", "Enrollment"]


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0008_private_bank_files"),
        ("enrollments", "0001_initial"),
        ("payroll", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(model_name="enrollmentchange", name="recheck"),
            *[migrations.DeleteModel(name=name) for name in MODELS],
        ]),
    ]
