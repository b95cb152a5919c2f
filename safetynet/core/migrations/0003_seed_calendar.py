from django.db import migrations


def seed(apps, schema_editor):
    from safetynet.core.workdays import package_calendar_rows

    CalendarDay = apps.get_model("core", "CalendarDay")
    rows = package_calendar_rows(CalendarDay)
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create([r for d, r in rows.items() if d not in existing], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
