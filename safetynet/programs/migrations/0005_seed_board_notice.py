"""Seed the notice period of the village roster and its monthly changes (issue 18 part 1):
`oversight.board_notice_days`. Adds only what is missing (services.seed_catalogue)."""
from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.programs.services import seed_catalogue

    seed_catalogue(apps.get_model("programs", "Program"), apps.get_model("programs", "Parameter"))


class Migration(migrations.Migration):
    dependencies = [("programs", "0004_seed_oversight")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
