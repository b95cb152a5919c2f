"""Inspection findings (issue 18 part 5): what an inspector (supervision, finance, audit, a
people's deputy) recorded on an office in their scope, and the office's answer.

The finding names the inspector's post and the body it speaks for (the post's title), the office
that must answer (a town, or the county), and the day the answer is due, counted in working days
from `finding_rectify_days` (OVERSIGHT). Status changes go through `inspections.transition`, each
recorded as a `FindingEvent`.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class FindingStatus(models.TextChoices):
    OPEN = "open", _("waiting for the answer")
    OVERDUE = "overdue", _("overdue")
    ANSWERED = "answered", _("answered")
    ACCEPTED = "accepted", _("accepted")


class InspectionFinding(models.Model):
    post = models.ForeignKey("areas.Post", on_delete=models.PROTECT, related_name="+", verbose_name=_("inspector's post"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("inspector"))
    body = models.CharField(max_length=100, verbose_name=_("inspecting body"))
    office = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible office"))
    subject = models.CharField(max_length=200, verbose_name=_("subject"))
    text = models.TextField(verbose_name=_("finding"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("case concerned"))
    enrollment = models.ForeignKey("enrollments.Enrollment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("enrollment concerned"))
    status = models.CharField(max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN,
                              verbose_name=_("status"))
    recorded_on = models.DateField(verbose_name=_("recorded on"))
    due_on = models.DateField(verbose_name=_("to be answered by"))
    answer = models.TextField(blank=True, verbose_name=_("the office's answer"))
    answered_on = models.DateField(null=True, blank=True, verbose_name=_("answered on"))
    answered_by = models.CharField(max_length=150, blank=True)
    accepted_on = models.DateField(null=True, blank=True, verbose_name=_("accepted on"))
    times_returned = models.PositiveSmallIntegerField(default=0, verbose_name=_("times returned"))

    class Meta:
        ordering = ["-recorded_on", "-id"]
        verbose_name = _("inspection finding")
        verbose_name_plural = _("inspection findings")
        constraints = [models.CheckConstraint(condition=models.Q(due_on__gte=models.F("recorded_on")),
                                              name="inspectionfinding_due_after_recorded")]
        indexes = [models.Index(fields=["office", "status"], name="inspectionfinding_office_idx")]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"JC{self.recorded_on:%Y%m%d}{self.pk:05d}" if self.pk else ""


class FindingEvent(models.Model):
    """A finding's timeline: each status change, who made it and what they wrote."""

    finding = models.ForeignKey(InspectionFinding, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField()
    by = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    @property
    def from_label(self) -> str:
        return str(FindingStatus(self.from_status).label) if self.from_status in FindingStatus.values else ""

    @property
    def to_label(self) -> str:
        return str(FindingStatus(self.to_status).label) if self.to_status in FindingStatus.values else self.to_status
