"""The chain link is hashed in the database (core/audit.py: `link_hash` over a content digest),
so an append is one statement on PostgreSQL. Chains written before are re-linked in the new
form, in order, with the append-only guard lifted for the rewrite and put back after: this
ran before any production deployment, on development and demo databases only."""

from django.db import migrations, models


def relink(apps, schema_editor):
    from safetynet.core.audit import GENESIS, content_digest, link_hash
    from safetynet.core.ledger_guard import install_guard, remove_guard

    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    if not AuditEvent.objects.exists():
        return
    connection = schema_editor.connection
    remove_guard(connection)
    previous = before_last = GENESIS
    last = None
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=5000):
        digest = content_digest(at=event.at, username=event.username, post_id=event.post_id, role=event.role,
                                area_code=event.area_code, action=event.action, object_type=event.object_type,
                                object_id=event.object_id, before=event.before, after=event.after)
        current = link_hash(previous, event.sequence, digest)
        AuditEvent.objects.filter(pk=event.pk).update(previous_hash=previous, hash=current)
        last, before_last, previous = event, previous, current
    AuditChainHead.objects.update_or_create(id=1, defaults={
        "sequence": last.sequence, "previous_hash": before_last, "hash": previous})
    install_guard(connection)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_reference_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="previous_hash",
            field=models.CharField(default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64),
        ),
        migrations.RunPython(relink, migrations.RunPython.noop),
    ]
