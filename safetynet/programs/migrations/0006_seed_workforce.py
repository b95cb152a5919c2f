"""Seed the parameters of workforce, subsidies and purchased services (issue 19): training hours,
staffing norms, subsidy rates, the budget warning and the project evaluation scale. Adds only
what is missing (services.seed_catalogue)."""
from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.programs.services import seed_catalogue

    seed_catalogue(apps.get_model("programs", "Program"), apps.get_model("programs", "Parameter"))


class Migration(migrations.Migration):
    dependencies = [("programs", "0005_seed_board_notice")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
