"""Seed the three programs and the national default of every catalogued parameter, effective
2021-07-01 (MLG-2021 in force). Keys without a national default (the dibao standards) are left
for areas to set. Re-running adds only what is missing."""
import datetime as dt

from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.programs import catalogue

    Program = apps.get_model("programs", "Program")
    Parameter = apps.get_model("programs", "Parameter")
    for code, entry in catalogue.PROGRAMS.items():
        Program.objects.update_or_create(code=code, defaults={"name": str(entry["name"]), "description": str(entry["description"])})
    start = dt.date.fromisoformat(catalogue.DEFAULTS_EFFECTIVE_FROM)
    existing = set(Parameter.objects.filter(area__isnull=True).values_list("program_id", "key"))
    rows = [
        Parameter(program_id=spec.program, key=spec.key, area=None, value=catalogue.value_to_text(spec, spec.default),
                  effective_from=start, reason=f"National default ({spec.source})")
        for spec in catalogue.SPECS
        if spec.default is not None and (spec.program, spec.key) not in existing
    ]
    Parameter.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
