"""The shared kernel's tables: the audit ledger and the working-day calendar."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One append-only, hash-chained record per service write (DESIGN.md §4 Audit).

    `hash` covers every other column and the previous event's hash, so editing or deleting
    any row breaks the chain from that row on; `safetynet audit verify` finds the first break.
    Triggers (migration 0002) refuse UPDATE and DELETE at the database.
    """

    sequence = models.BigIntegerField(unique=True, verbose_name=_("sequence"))
    at = models.DateTimeField(verbose_name=_("time"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    post_id = models.BigIntegerField(null=True, blank=True)
    role = models.CharField(max_length=32, blank=True)
    area_code = models.CharField(max_length=18, blank=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True, verbose_name=_("action"))
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    # Not indexed: nothing looks an event up by its hash, and a unique index on random 64-character
    # keys is a scattered page write on every append (the chain's order is `sequence`'s).
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """A single row locked while appending, so two writers never chain onto the same parent.
    `previous_hash` is the link before `hash`, handed to the event the advance creates."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)
    previous_hash = models.CharField(max_length=64, default="0" * 64)
    hash = models.CharField(max_length=64, default="0" * 64)


# The names the chinese-calendar package gives its days (stored as it gives them), in the page's
# language; a name entered by hand is shown as typed.
PACKAGE_DAY_NAMES = {
    "New Year's Day": _("New Year's Day"),
    "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Tomb-sweeping Day"),
    "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"),
    "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _("Anti-Fascist 70th Day"),
}


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: an official holiday on a weekday, or a make-up
    working day on a weekend. Seeded from the chinese-calendar package; editable for the years
    it does not know yet (the State Council publishes each year's arrangement in November)."""

    date = models.DateField(unique=True, verbose_name=_("date"))
    is_working_day = models.BooleanField(verbose_name=_("working day"))
    name = models.CharField(max_length=64, blank=True, verbose_name=_("name"))
    source = models.CharField(
        max_length=16,
        choices=[("package", _("chinese-calendar package")), ("manual", _("entered by hand"))],
        default="manual",
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return f"{self.date} {'work' if self.is_working_day else 'off'} {self.name}"

    @property
    def display_name(self) -> str:
        """The day's name in the active language (the package's English names translated)."""
        return str(PACKAGE_DAY_NAMES.get(self.name, self.name))


class ReferenceVersion(models.Model):
    """A random token per kind of reference data (parameters, areas), replaced in the same
    transaction as every write to it, so a process can keep that data in memory and know with one
    tiny query whether it is still current (core/refcache.py). A rolled-back write leaves the old
    token, whose cached content is the committed one; a new write never reuses a token."""

    name = models.CharField(max_length=32, primary_key=True)
    token = models.CharField(max_length=32)


class WorkerHeartbeat(models.Model):
    """A background worker's sign of life (core/workers.py), written every few seconds by a
    thread of the worker process. A job claimed by a worker whose heartbeat stopped is taken for
    interrupted: retried when its kind is idempotent, failed otherwise. The host and process id let
    a worker on the same machine be judged at once (its process is gone, or alive but waiting on
    SQLite's write lock) instead of after the heartbeat's age."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.worker_id} {self.host}:{self.pid} seen {self.seen_at:%H:%M:%S}"
