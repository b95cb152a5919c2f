"""Bank files exported before issue 14 lay in `SAFETYNET_DATA_DIR/media/payroll/<run code>/`,
which DEBUG served at `/`. Move each run's folder into the private root under a name with a
random part, and record that name with the run's export (`export_summary["directory"]`), so the
run page and the API keep answering the files."""
import secrets
import shutil
from pathlib import Path

from django.conf import settings
from django.db import migrations


def move_bank_files(apps, schema_editor):
    PayrollRun = apps.get_model("payments", "PayrollRun")
    legacy = Path(settings.DATA_DIR) / "media" / "payroll"
    private = Path(settings.MEDIA_ROOT) / "payroll"
    if not legacy.is_dir() or legacy.resolve() == private.resolve():
        return
    for run in PayrollRun.objects.exclude(export_summary={}).only("id", "code", "export_summary"):
        summary = run.export_summary or {}
        old = legacy / run.code
        if summary.get("directory") or not old.is_dir():
            continue
        folder = f"{run.code}-{secrets.token_urlsafe(12)}"
        private.mkdir(parents=True, exist_ok=True)
        shutil.move(str(old), str(private / folder))
        run.export_summary = {**summary, "directory": folder}
        run.save(update_fields=["export_summary"])


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0007_standard_change_kinds'),
    ]

    operations = [
        migrations.RunPython(move_bank_files, migrations.RunPython.noop, elidable=True),
    ]
