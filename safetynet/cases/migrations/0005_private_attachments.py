"""Case attachments stored before issue 14 lay in `SAFETYNET_DATA_DIR/media/cases/<case id>/`
under a name made of the upload time and a hash of the file name, which DEBUG served at `/`.
Move each into the private root under `cases/<case id>/<random>.<ext>` (models.attachment_path)."""
import secrets
import shutil
from pathlib import Path, PurePath

from django.conf import settings
from django.db import migrations


def move_attachments(apps, schema_editor):
    Attachment = apps.get_model("cases", "Attachment")
    legacy = Path(settings.DATA_DIR) / "media"
    private = Path(settings.MEDIA_ROOT)
    if not (legacy / "cases").is_dir() or legacy.resolve() == private.resolve():
        return
    for attachment in Attachment.objects.exclude(file="").only("id", "case_id", "file"):
        old = legacy / attachment.file.name
        if not old.is_file():
            continue
        name = f"cases/{attachment.case_id}/{secrets.token_urlsafe(12)}{PurePath(old.name).suffix.lower()}"
        (private / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(old), str(private / name))
        Attachment.objects.filter(pk=attachment.pk).update(file=name)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_case_drop_redundant_indexes'),
    ]

    operations = [
        migrations.RunPython(move_attachments, migrations.RunPython.noop, elidable=True),
    ]
