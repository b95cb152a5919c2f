"""Seed the limits and thresholds of transparency and supervision (issue 18): the `oversight`
entry of the catalogue and its defaults. Adds only what is missing (services.seed_catalogue)."""
from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.programs.services import seed_catalogue

    seed_catalogue(apps.get_model("programs", "Program"), apps.get_model("programs", "Parameter"))


class Migration(migrations.Migration):
    dependencies = [("programs", "0003_seed_discovery")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
