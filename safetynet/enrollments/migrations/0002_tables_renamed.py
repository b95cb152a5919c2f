"""The tables taken over from the payments app get this app's names: payments_enrollment becomes
enrollments_enrollment and so on (ALTER TABLE ... RENAME, every row kept; on SQLite the tables that
refer to them follow the new name, on PostgreSQL references follow the table itself). Their
indexes and constraints keep their explicit names. The content types (and with them the
permissions) move to the new label; audit events keep the labels they were written with (the
ledger is never rewritten: its hashes cover them).

Backward, the same renames the other way, so payments 0008's database is there again."""
from django.db import migrations

MODELS = ["Enrollment", "EnrollmentChange", "EnrollmentTerm", "Overpayment", "OverpaymentSettlement", "Recheck",
          "PendingEnding", "ChangeReport", "TriggerSignal", "ChangeProposal", "WorkRefusalDeduction"]


def move_content_types(old_label: str, new_label: str, models: list[str]):
    """A RunPython function that gives `models`' content types the label `new_label` (one already
    there under the new label is left as it is, the old one then stays stale)."""
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        for model in (name.lower() for name in models):
            if not ContentType.objects.using(db).filter(app_label=new_label, model=model).exists():
                ContentType.objects.using(db).filter(app_label=old_label, model=model).update(app_label=new_label)
    return move


class Migration(migrations.Migration):

    dependencies = [
        ("enrollments", "0001_initial"),
        ("payments", "0009_moved_to_enrollments_and_payroll"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        *[migrations.AlterModelTable(name=name, table=None) for name in MODELS],
        migrations.RunPython(move_content_types("payments", "enrollments", MODELS),
                             move_content_types("enrollments", "payments", MODELS)),
    ]
