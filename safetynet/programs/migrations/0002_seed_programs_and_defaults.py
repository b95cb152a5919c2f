"""Seed the three programs and the national default of every catalogued parameter, effective
2021-07-01 (MLG-2021 in force). Keys without a national default (the dibao standards) are left
for areas to set. Re-running adds only what is missing (services.seed_catalogue)."""
from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.programs.services import seed_catalogue

    seed_catalogue(apps.get_model("programs", "Program"), apps.get_model("programs", "Parameter"))


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
