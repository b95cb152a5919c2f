"""The staff registered before employment and birth dates were kept: each row's employment from
its kind (county and town staff → civil servant, village committee → village cadre, grid worker
→ grid worker) and its birth date from the ID number (characters 7-14, validated when it was
registered). Reversing leaves the columns as 0005 drops them."""
import datetime as dt

from django.db import migrations

EMPLOYMENT_OF_KIND = {"county_staff": "civil_servant", "town_staff": "civil_servant",
                      "village_committee": "village_cadre", "grid_worker": "grid_worker"}


def fill(apps, schema_editor):
    StaffIdentity = apps.get_model("workforce", "StaffIdentity")
    for kind, employment in EMPLOYMENT_OF_KIND.items():
        StaffIdentity.objects.filter(kind=kind, employment="").update(employment=employment)
    rows = []
    for identity in StaffIdentity.objects.filter(birth_date__isnull=True).only("id", "id_number").iterator(chunk_size=2000):
        number = identity.id_number
        try:
            identity.birth_date = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except (ValueError, IndexError):
            continue
        rows.append(identity)
        if len(rows) >= 2000:
            StaffIdentity.objects.bulk_update(rows, ["birth_date"])
            rows = []
    StaffIdentity.objects.bulk_update(rows, ["birth_date"])


class Migration(migrations.Migration):

    dependencies = [
        ("workforce", "0005_staff_register_training"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
