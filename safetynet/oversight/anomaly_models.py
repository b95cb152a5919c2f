"""Anomaly reports (issue 18 part 6): a run over a county, and what it found.

A finding is one fact about one object (a payment, an enrollment, a case, a worker), named by a
fingerprint unique across runs, so a second run finds nothing new about the same fact and the
status it was given (explained, rectified) stays. Spot checks weight their draw by the open
findings (`spotchecks`), and each new finding opens a control complaint with an owner.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class AnomalyKind(models.TextChoices):
    DECEASED_PAID = "deceased_paid", _("payment to a deceased person")
    INCOMPATIBLE_PROGRAMS = "incompatible", _("enrolled in incompatible programs (dibao and special hardship)")
    TWO_COUNTIES = "two_counties", _("enrolled in two counties")
    OVER_LIMITS = "over_limits", _("newest department data over the limits")
    UNFILED_RELATIVE = "unfiled_relative", _("a close relative of staff enrolled without a filing")
    CONFIRMED_BY_RELATIVE = "confirmed_by_relative", _("a case confirmed by a relative of the household")
    HIGH_AMOUNTS = "high_amounts", _("a worker's approved amounts unusually high")
    SHORT_SURVEYS = "short_surveys", _("a worker's household surveys unusually short")


class AnomalyRunStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class AnomalyRun(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    month = models.DateField(verbose_name=_("month"))          # the first day of the month looked at
    monthly = models.BooleanField(default=False, verbose_name=_("the monthly run"))
    status = models.CharField(max_length=12, choices=AnomalyRunStatus.choices, default=AnomalyRunStatus.QUEUED,
                              verbose_name=_("status"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    # The post that started it: a background run acts as that post, checked again when it runs.
    post = models.ForeignKey("areas.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.JSONField(default=dict, blank=True)    # {"step": ..., "done": n, "total": n}
    counts = models.JSONField(default=dict, blank=True)      # kind -> findings new in this run
    error = models.TextField(blank=True)
    found = models.JSONField(default=dict, blank=True)       # kind -> facts found this run (new or not)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("anomaly report")
        verbose_name_plural = _("anomaly reports")


class AnomalyStatus(models.TextChoices):
    OPEN = "open", _("to look into")
    EXPLAINED = "explained", _("explained")
    RECTIFIED = "rectified", _("rectified")


class AnomalyFinding(models.Model):
    run = models.ForeignKey(AnomalyRun, on_delete=models.PROTECT, related_name="findings", verbose_name=_("found by"))
    kind = models.CharField(max_length=24, choices=AnomalyKind.choices, verbose_name=_("anomaly"))
    fingerprint = models.CharField(max_length=120, unique=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("household"))
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("person"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("case"))
    enrollment = models.ForeignKey("enrollments.Enrollment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("enrollment"))
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("worker"))
    facts = models.JSONField(default=dict, blank=True, verbose_name=_("what was found"))
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, verbose_name=_("amount concerned"))
    status = models.CharField(max_length=12, choices=AnomalyStatus.choices, default=AnomalyStatus.OPEN,
                              verbose_name=_("status"))
    note = models.TextField(blank=True, verbose_name=_("explanation or rectification"))
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(verbose_name=_("found at"))
    complaint = models.ForeignKey("oversight.Complaint", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("complaint opened"))

    class Meta:
        ordering = ["kind", "area_id", "id"]
        verbose_name = _("anomaly finding")
        verbose_name_plural = _("anomaly findings")
        indexes = [models.Index(fields=["area", "kind", "status"], name="anomaly_area_kind_idx")]
