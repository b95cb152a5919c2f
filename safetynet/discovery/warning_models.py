"""The monitoring register and the warnings from department data (issue 17 part 4; POLICY.md §6).

- `MonitoredHousehold`: one row per household and category while it holds (`until` NULL), kept
  current by `register.refresh_monitoring_register` (enrollments, verification results, medical
  costs) or flagged by a town worker with a reason. A row that no longer holds gets `until`.
- `WarningRule`: a cause with its parameters, level and area: national defaults (area NULL,
  seeded by a migration) that a county overrides (its own row for the cause) or retires (its own
  row, inactive).
- `WarningRun`: one monthly run of a county; `Warning`: one per household and cause, unique by
  its fingerprint across runs, each opening (or joining) a lead for the household's grid.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .levels import WarningLevel


class MonitorCategory(models.TextChoices):
    DIBAO = "dibao", _("dibao")
    SPECIAL_HARDSHIP = "special_hardship", _("special hardship")
    MARGIN = "margin", _("low-income margin")
    RIGID_EXPENSES = "rigid_expenses", _("heavy rigid expenses")
    AT_RISK = "at_risk", _("at risk of returning to poverty")


# Categories a town worker may flag by hand (the others follow enrollments and verification).
MANUAL_CATEGORIES = (MonitorCategory.RIGID_EXPENSES, MonitorCategory.AT_RISK)


class MonitorSource(models.TextChoices):
    ENROLLMENT = "enrollment", _("live enrollment")
    VERIFICATION = "verification", _("verification result")
    MEDICAL = "medical", _("self-paid medical costs")
    WORKER = "worker", _("flagged by a town worker")


class MonitoredHousehold(models.Model):
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("household"))
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    category = models.CharField(_("category"), max_length=20, choices=MonitorCategory.choices)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=MonitorSource.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["area_id", "household_id", "category"]
        verbose_name = _("monitored household")
        verbose_name_plural = _("monitored households")
        constraints = [models.UniqueConstraint(fields=["household", "category"], condition=Q(until__isnull=True),
                                               name="monitored_one_current_per_category")]
        indexes = [models.Index(fields=["area", "category", "until"], name="monitored_area_category")]

    @property
    def is_current(self) -> bool:
        return self.until is None


class WarningCause(models.TextChoices):
    DISABILITY = "disability", _("new severe-disability certificate")
    MEDICAL = "medical", _("self-paid medical costs over a threshold")
    UNEMPLOYMENT = "unemployment", _("unemployment registration")
    DEATH = "death", _("a member's death")
    DISASTER = "disaster", _("on a disaster list")
    INCOME = "income", _("income fell under the margin")


class WarningRule(models.Model):
    """A cause's rule: national (area NULL) or a county's, which replaces the national one."""
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("area"))
    cause = models.CharField(_("cause"), max_length=16, choices=WarningCause.choices)
    level = models.CharField(_("warning level"), max_length=8, choices=WarningLevel.choices)
    parameters = models.JSONField(_("parameters"), default=dict)
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["cause", "area_id"]
        verbose_name = _("warning rule")
        verbose_name_plural = _("warning rules")
        constraints = [
            models.UniqueConstraint(fields=["area", "cause"], condition=Q(area__isnull=False), name="warning_rule_one_per_area"),
            models.UniqueConstraint(fields=["cause"], condition=Q(area__isnull=True), name="warning_rule_one_national"),
        ]

    def __str__(self):
        return f"{self.cause} {self.area_id or 'national'}"

    @property
    def is_national(self) -> bool:
        return self.area_id is None


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class WarningRun(models.Model):
    county = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    month = models.DateField(_("month"))                 # the first day
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    snapshots = models.JSONField(default=dict, blank=True)    # {dataset: snapshot id} read
    counts = models.JSONField(default=dict, blank=True)       # {cause: found, "raised": n, "leads": n, ...}
    seconds = models.FloatField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("warning run")
        verbose_name_plural = _("warning runs")


class Warning(models.Model):  # noqa: A001 (the domain's word; import it as a name, never over the builtin)
    fingerprint = models.CharField(max_length=200, unique=True)
    rule = models.ForeignKey(WarningRule, on_delete=models.PROTECT, related_name="warnings", verbose_name=_("rule"))
    run = models.ForeignKey(WarningRun, on_delete=models.PROTECT, related_name="warnings", verbose_name=_("run"))
    cause = models.CharField(_("cause"), max_length=16, choices=WarningCause.choices)
    level = models.CharField(_("warning level"), max_length=8, choices=WarningLevel.choices)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("household"))
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("person"))
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    raised_on = models.DateField(_("raised on"))
    detail = models.JSONField(default=dict, blank=True)
    lead = models.ForeignKey("discovery.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="warnings",
                             verbose_name=_("lead"))

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        indexes = [models.Index(fields=["area", "cause"], name="warning_area_cause"),
                   models.Index(fields=["household", "cause", "raised_on"], name="warning_household_cause")]
