"""The audit ledger refuses UPDATE and DELETE at the database, whoever connects."""
from django.db import migrations


def forwards(apps, schema_editor):
    from safetynet.core.ledger_guard import install_guard

    install_guard(schema_editor.connection)


def backwards(apps, schema_editor):
    from safetynet.core.ledger_guard import remove_guard

    remove_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
