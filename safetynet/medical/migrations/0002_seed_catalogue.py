"""Seed the national default categories and their terms (medical/catalogue.py; POLICY.md §4)."""
from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.medical.catalogue import seed as seed_catalogue

    seed_catalogue(apps.get_model("medical", "MedicalCategory"), apps.get_model("medical", "CategoryTerms"))


class Migration(migrations.Migration):
    dependencies = [("medical", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
