"""Complaints and reports (issue 18 part 2), and, through the modules imported at the end, the
other tables of oversight.

A complaint is handled by an office (`handling_area`: the town of the matter, or the county for a
sensitive category, which goes past the town concerned) and is seen by the posts of that office's
area; it climbs one level when a deadline is breached. The reporter follows it with a token given
at filing (only its SHA-256 is kept), never with their identity; their name and contact are read
only through `complaints.may_see_reporter` (the county's supervision inspector).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class ComplaintChannel(models.TextChoices):
    PUBLIC_PAGE = "public", _("public page")
    HOTLINE = "hotline", _("hotline")
    LETTER = "letter", _("letter")
    VISIT = "visit", _("visit in person")
    OBJECTION = "objection", _("objection to a public notice")
    CONTROL = "control", _("found by a control")


# Channels a staff member types in (the others file themselves).
STAFF_CHANNELS = (ComplaintChannel.HOTLINE, ComplaintChannel.LETTER, ComplaintChannel.VISIT)


class CategoryCode(models.TextChoices):
    """The national default categories (a county adds its own with a free name)."""
    WRONGLY_PAID = "wrongly_paid", _("someone is paid who should not be")
    MISSED = "missed", _("someone in need is not helped")
    AMOUNT = "amount", _("the amount is wrong")
    PROCEDURE = "procedure", _("delay, attitude or procedure")
    NOTICE_OBJECTION = "notice_objection", _("objection to a public notice or roster")
    PRIVACY = "privacy", _("personal data shown or leaked")
    BRIBERY = "bribery", _("bribery or favours asked by staff")
    STAFF_RELATIVE = "staff_relative", _("a staff member's or cadre's relative is favoured")
    CONTROL_FINDING = "control_finding", _("found by a spot check or an anomaly report")
    OTHER = "other", _("other")


class ComplaintCategory(models.Model):
    """A category with its limits in working days: national rows (`area` empty) seeded by
    migration, a county's own rows overriding one (same code) or adding one. Sensitive categories
    are handled by the county, past the town concerned."""

    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("county (empty: national default)"))
    code = models.SlugField(max_length=40, verbose_name=_("code"))
    name = models.CharField(max_length=100, blank=True, verbose_name=_("name (a county's own category)"))
    sensitive = models.BooleanField(default=False, verbose_name=_("sensitive: handled by the county, past the town"))
    response_days = models.PositiveSmallIntegerField(verbose_name=_("answered within (working days)"))
    resolution_days = models.PositiveSmallIntegerField(verbose_name=_("resolved within (working days)"))
    source = models.CharField(max_length=200, blank=True, verbose_name=_("source"))
    is_active = models.BooleanField(default=True, verbose_name=_("in use"))

    class Meta:
        ordering = ["code", "area_id"]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=models.Q(area__isnull=True), name="complaintcategory_one_national"),
            models.UniqueConstraint(fields=["area", "code"], name="complaintcategory_one_per_county"),
            models.CheckConstraint(condition=models.Q(response_days__gte=1, resolution_days__gte=models.F("response_days")),
                                   name="complaintcategory_limits_ordered"),
        ]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        if self.name:
            return self.name
        try:
            return CategoryCode(self.code).label
        except ValueError:
            return self.code


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    ASSIGNED = "assigned", _("assigned")
    INVESTIGATING = "investigating", _("being investigated")
    DECIDED = "decided", _("result recorded")
    REPLIED = "replied", _("answered")
    CLOSED = "closed", _("closed")


OPEN_COMPLAINT = (ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED, ComplaintStatus.INVESTIGATING,
                  ComplaintStatus.DECIDED)


class ComplaintFinding(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("substantiated")
    PARTLY = "partly", _("partly substantiated")
    UNSUBSTANTIATED = "unsubstantiated", _("not substantiated")


class ComplaintFollowUp(models.TextChoices):
    """What a substantiated complaint did to the case or enrollment it concerns."""
    CASE_REOPENED = "case_reopened", _("the case was re-opened")
    CASE_NOTED = "case_noted", _("recorded on the open case")
    RECHECK_OPENED = "recheck_opened", _("a re-check of the enrollment was opened")
    COUNTY_TO_REOPEN = "county_to_reopen", _("the county is to re-open the case")


class ClockState(models.TextChoices):
    """Where a complaint stands against its deadline (computed, `complaints.clock_state`)."""
    ON_TRACK = "on_track", _("on track")
    AT_RISK = "at_risk", _("at risk")
    BREACHED = "breached", _("breached")
    DONE = "done", _("answered")


class Complaint(models.Model):
    channel = models.CharField(max_length=12, choices=ComplaintChannel.choices, verbose_name=_("received through"))
    category = models.ForeignKey(ComplaintCategory, on_delete=models.PROTECT, related_name="complaints",
                                 verbose_name=_("category"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("where the matter is"))
    handling_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("handled by"))
    subject = models.CharField(max_length=200, verbose_name=_("subject"))
    content = models.TextField(verbose_name=_("what is reported"))
    anonymous = models.BooleanField(default=True, verbose_name=_("anonymous"))
    # The reporter's identity: read only through complaints.may_see_reporter.
    reporter_name = models.CharField(max_length=50, blank=True, verbose_name=_("reporter"))
    reporter_contact = models.CharField(max_length=100, blank=True, verbose_name=_("reporter's contact"))
    token_hash = models.CharField(max_length=64, unique=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints",
                             verbose_name=_("case concerned"))
    enrollment = models.ForeignKey("enrollments.Enrollment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="complaints", verbose_name=_("enrollment concerned"))
    objection = models.OneToOneField("publicity.Objection", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="complaint", verbose_name=_("objection"))
    appeal_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="appeals",
                                  verbose_name=_("review of"))
    # A control's fingerprint ("anomaly:<id>", "spot_check:<id>"): the same finding opens one complaint.
    source_key = models.CharField(max_length=80, blank=True, verbose_name=_("found by"))
    status = models.CharField(max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED,
                              verbose_name=_("status"))
    received_on = models.DateField(verbose_name=_("received on"))
    received_at = models.DateTimeField(verbose_name=_("received at"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("entered by"))
    response_due_on = models.DateField(verbose_name=_("to be answered by"))
    resolution_due_on = models.DateField(verbose_name=_("to be resolved by"))
    responded_on = models.DateField(null=True, blank=True, verbose_name=_("first answered on"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("assigned to"))
    escalations = models.PositiveSmallIntegerField(default=0, verbose_name=_("times climbed"))
    # The deadline the complaint last climbed for: a breached deadline moves it once.
    escalated_for = models.DateField(null=True, blank=True, verbose_name=_("climbed for the deadline of"))
    follow_up = models.CharField(max_length=16, choices=ComplaintFollowUp.choices, blank=True,
                                 verbose_name=_("follow-up on the case or enrollment"))
    finding = models.CharField(max_length=16, choices=ComplaintFinding.choices, blank=True, verbose_name=_("finding"))
    result = models.TextField(blank=True, verbose_name=_("result of the investigation"))
    decided_on = models.DateField(null=True, blank=True, verbose_name=_("decided on"))
    reply = models.TextField(blank=True, verbose_name=_("answer to the reporter"))
    replied_on = models.DateField(null=True, blank=True, verbose_name=_("answered on"))
    closed_on = models.DateField(null=True, blank=True, verbose_name=_("closed on"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.UniqueConstraint(fields=["source_key"], condition=~models.Q(source_key=""), name="complaint_one_per_finding"),
            models.CheckConstraint(condition=models.Q(resolution_due_on__gte=models.F("response_due_on")),
                                   name="complaint_deadlines_ordered"),
        ]
        indexes = [
            models.Index(fields=["handling_area", "status"], name="complaint_handling_idx"),
            models.Index(fields=["area", "received_on"], name="complaint_area_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        """The number people quote (the date it arrived and its key)."""
        return f"TS{self.received_on:%Y%m%d}{self.pk:06d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COMPLAINT


class ComplaintEventKind(models.TextChoices):
    FILED = "filed", _("filed")
    ASSIGNED = "assigned", _("assigned")
    INVESTIGATING = "investigating", _("investigation started")
    NOTE = "note", _("note")
    DECIDED = "decided", _("result recorded")
    REPLIED = "replied", _("answered")
    ESCALATED = "escalated", _("climbed one level")
    REOPENED_CASE = "reopened_case", _("case or enrollment re-opened")
    APPEALED = "appealed", _("review asked")
    CLOSED = "closed", _("closed")


class ComplaintEvent(models.Model):
    """The complaint's timeline. A note here is what staff wrote; the reporter sees only the
    states and the answer (`complaints.public_timeline`)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=ComplaintEventKind.choices)
    at = models.DateTimeField()
    by = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class ComplaintAttachment(models.Model):
    """A document or image sent with a complaint, kept as a private file (`core/privatefiles.py`)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


from .anomaly_models import AnomalyFinding, AnomalyKind, AnomalyRun, AnomalyRunStatus, AnomalyStatus  # noqa: E402,F401
from .roster_models import BoardChange, BoardKind, BoardPosting, BoardRow  # noqa: E402,F401
from .spotcheck_models import (  # noqa: E402,F401
    CampaignStatus, ConfirmedBy, ItemReason, SizeMethod, SpotCheckCampaign, SpotCheckItem, Verdict,
)
from .inspection_models import FindingEvent, FindingStatus, InspectionFinding  # noqa: E402,F401
from .relative_models import CloseRelativeFiling  # noqa: E402,F401
