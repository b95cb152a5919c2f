"""Seed the medical assistance program and its area figures and limits (issue 20): the previous
year's per-capita disposable income the deductibles are set against, the time limits of a manual
reimbursement and of an institution's statement. Adds only what is missing
(services.seed_catalogue)."""
from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.programs.services import seed_catalogue

    seed_catalogue(apps.get_model("programs", "Program"), apps.get_model("programs", "Parameter"))


class Migration(migrations.Migration):
    dependencies = [("programs", "0006_seed_workforce")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
