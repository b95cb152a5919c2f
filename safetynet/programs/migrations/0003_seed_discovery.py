"""Seed the time limits of active discovery (issue 17): the `discovery` entry of the catalogue and
its national defaults. Adds only what is missing (services.seed_catalogue)."""
from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.programs.services import seed_catalogue

    seed_catalogue(apps.get_model("programs", "Program"), apps.get_model("programs", "Parameter"))


class Migration(migrations.Migration):
    dependencies = [("programs", "0002_seed_programs_and_defaults")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
