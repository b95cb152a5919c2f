"""Names, addresses and household numbers stored before text was normalised (issue 14, item 5) made
the same way as the services now store them (core.text.normalise_text), so a search, which
normalises its term, finds them. Only rows that change are written. Control characters are left
as they are (a migration refuses nothing); the next edit through the services refuses them."""
from django.db import migrations

from safetynet.core.text import normalise_text

BATCH = 2000


def _normalise(model, fields):
    changed = []
    for row in model.objects.only("id", *fields).iterator(chunk_size=BATCH):
        dirty = False
        for name in fields:
            value = getattr(row, name)
            normal = normalise_text(value)
            if value and normal != value:
                setattr(row, name, normal)
                dirty = True
        if dirty:
            changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, fields)
            changed = []
    if changed:
        model.objects.bulk_update(changed, fields)


def normalise_text_columns(apps, schema_editor):
    _normalise(apps.get_model("registry", "Person"), ["name"])
    _normalise(apps.get_model("registry", "Household"), ["address", "external_ref"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_household_address_trigram")]

    operations = [migrations.RunPython(normalise_text_columns, migrations.RunPython.noop)]
