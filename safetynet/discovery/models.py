"""Leads and the grid reports that open them (issue 17 parts 1–2).

A lead is one household (or one person not yet registered) possibly in need, from whatever door
it came in: a grid worker's report, a warning from department data, a walk-in or a phone call at
the town's window, a hotline or app through the API. It carries two deadlines in working days
(acknowledged, visited), climbs one level when overdue (town leader, then county), and ends as an
application, a referral or closed with a reason. A household has at most one open lead: a second
report joins the first (`Lead.causes`, its events) instead of opening another.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .levels import WarningLevel


class Cause(models.TextChoices):
    ILLNESS = "illness", _("serious illness")
    ACCIDENT = "accident", _("accident or injury")
    DISABILITY = "disability", _("disability")
    JOB_LOSS = "job_loss", _("job loss")
    EARNER_DEATH = "earner_death", _("death of the earner")
    DISASTER = "disaster", _("disaster")
    NO_SUPPORT = "no_support", _("no one to support them")
    MEDICAL_COSTS = "medical_costs", _("heavy medical costs")
    INCOME_DROP = "income_drop", _("income fell under the margin")
    OTHER = "other", _("other")


# What a grid worker picks from on the phone (the data-only causes are raised by warnings).
REPORT_CAUSES = (Cause.ILLNESS, Cause.ACCIDENT, Cause.DISABILITY, Cause.JOB_LOSS, Cause.EARNER_DEATH, Cause.DISASTER,
                 Cause.NO_SUPPORT, Cause.OTHER)


class Urgency(models.TextChoices):
    URGENT = "urgent", _("urgent: today")
    SOON = "soon", _("within days")
    NORMAL = "normal", _("normal")


URGENCY_RANK = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.NORMAL: 2}


class Source(models.TextChoices):
    GRID_REPORT = "grid_report", _("grid report")
    WARNING = "warning", _("warning from data")
    WALK_IN = "walk_in", _("walk-in at the town's window")
    PHONE = "phone", _("phone call")
    HOTLINE = "hotline", _("hotline or app (API)")


LEVEL_RANK = {WarningLevel.RED: 0, WarningLevel.ORANGE: 1, WarningLevel.YELLOW: 2, "": 3}


class LeadStatus(models.TextChoices):
    NEW = "new", _("waiting to be acknowledged")
    ACKNOWLEDGED = "acknowledged", _("acknowledged, visit due")
    VISITED = "visited", _("visited, to be routed")
    APPLIED = "applied", _("ended: application filed")
    REFERRED = "referred", _("ended: referred")
    CLOSED = "closed", _("ended: closed")
    MERGED = "merged", _("merged into another lead")


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.ACKNOWLEDGED, LeadStatus.VISITED)
ENDED_STATUSES = (LeadStatus.APPLIED, LeadStatus.REFERRED, LeadStatus.CLOSED)


class CloseReason(models.TextChoices):
    NOT_IN_NEED = "not_in_need", _("not in need")
    NOT_FOUND = "not_found", _("could not be found")
    HELPED_OTHERWISE = "helped_otherwise", _("already helped (enrolled or aided)")
    MOVED_AWAY = "moved_away", _("moved away")
    DECLINED = "declined", _("declined help")
    OTHER = "other", _("other")


class Escalation(models.TextChoices):
    NONE = "", _("not escalated")
    TOWN_LEADER = "town_leader", _("escalated to the town leader")
    COUNTY = "county", _("escalated to the county")


ESCALATION_RANK = {Escalation.NONE: 0, Escalation.TOWN_LEADER: 1, Escalation.COUNTY: 2}


class Lead(models.Model):
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="leads", verbose_name=_("household"))
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("person concerned"))
    name = models.CharField(_("name"), max_length=50, blank=True)
    approximate_age = models.PositiveSmallIntegerField(_("approximate age"), null=True, blank=True)
    address = models.CharField(_("address or place"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    cause = models.CharField(_("what happened"), max_length=16, choices=Cause.choices)
    causes = models.JSONField(_("all causes reported"), default=list)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    level = models.CharField(_("warning level"), max_length=8, choices=WarningLevel.choices, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)

    opened_at = models.DateTimeField(_("opened at"))
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("opened by"))
    acknowledge_due_on = models.DateField(_("acknowledge by"))
    visit_due_on = models.DateField(_("visit by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    in_need = models.BooleanField(_("in need (found on the visit)"), null=True, blank=True)
    visit_note = models.TextField(_("what the visit found"), blank=True)
    escalation = models.CharField(_("escalation"), max_length=16, choices=Escalation.choices, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    close_reason = models.CharField(_("reason closed"), max_length=20, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(_("note"), max_length=500, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("application"))
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged",
                                    verbose_name=_("merged into"))

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [models.Index(fields=["area", "status"], name="lead_area_status"),
                   models.Index(fields=["status", "visit_due_on"], name="lead_status_due")]
        constraints = [
            # One household, one open lead: a second report joins it (services.open_leads).
            models.UniqueConstraint(fields=["household"], condition=Q(status__in=["new", "acknowledged", "visited"]),
                                    name="lead_one_open_per_household"),
            models.CheckConstraint(condition=Q(household__isnull=False) | ~Q(name=""), name="lead_names_someone"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def number(self) -> str:
        return f"L{self.pk:06d}" if self.pk else "L—"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def town_code(self) -> str:
        return self.area_id[:9]


class LeadEventKind(models.TextChoices):
    OPENED = "opened", _("opened")
    REPORT_JOINED = "report_joined", _("another report joined")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    VISITED = "visited", _("visited")
    ESCALATED = "escalated", _("escalated")
    MERGED = "merged", _("merged")
    APPLIED = "applied", _("application filed")
    REFERRED = "referred", _("referred")
    CLOSED = "closed", _("closed")
    REOPENED = "reopened", _("reopened")


class LeadEvent(models.Model):
    """The lead's timeline as people read it (the audit ledger keeps the same facts, chained)."""
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=LeadEventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class GridReport(models.Model):
    """What a grid worker (or a hotline or app, through the API) sent, kept as sent. `key` is the
    idempotency key the phone made when the report was written: a retry of the same report answers
    the report already received and opens nothing."""
    key = models.UUIDField(_("report key"), unique=True)
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reporter_area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.GRID_REPORT)
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=50, blank=True)
    approximate_age = models.PositiveSmallIntegerField(null=True, blank=True)
    address = models.CharField(max_length=200, blank=True)
    cause = models.CharField(max_length=16, choices=Cause.choices)
    urgency = models.CharField(max_length=8, choices=Urgency.choices)
    note = models.TextField(blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    photo = models.CharField(max_length=200, blank=True, help_text="private file, relative to the private root")
    photo_type = models.CharField(max_length=40, blank=True)
    photo_bytes = models.PositiveIntegerField(default=0)
    photo_refused = models.CharField(max_length=200, blank=True, help_text="why a photo sent with it was not kept")
    written_at = models.DateTimeField(_("written on the phone at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["-received_at", "-id"]


from .referral_models import (  # noqa: E402,F401  (the referral part's models, registered with the app)
    AgencyKind, Referral, ReferralAgency, ReferralAnswer, ReferralStatus,
)
# Part 4: the monitoring register and the warnings (their own module, imported by name).
from .warning_models import (  # noqa: E402,F401
    MonitorCategory, MonitoredHousehold, MonitorSource, Warning, WarningCause, WarningRule, WarningRun,
)
