"""Who is doing which piece of open work (issue 19 part 2).

A `WorkAssignment` names the worker (a `workforce.StaffIdentity`, so village cadres and a
purchased service's workers are assigned like staff) for one case to survey, one re-check or one
lead. History is kept: a re-assignment ends the current row and writes a new one, so the office
can see who had the work and when. Exactly one of `case`, `recheck`, `lead` is set, by `kind`.

A post that sees only its assigned work (`core.scoping.Actor.assigned_only`, a provider's worker)
finds through `workload.scope.assigned_work` exactly what its current assignments name.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.workforce.models import StaffIdentity


class WorkKind(models.TextChoices):
    CASE = "case", _("case to survey")
    RECHECK = "recheck", _("re-check")
    LEAD = "lead", _("lead")


class AssignmentReason(models.TextChoices):
    PROPOSED = "proposed", _("proposed by capacity")
    CHOSEN = "chosen", _("chosen by the office")
    REASSIGNED = "reassigned", _("re-assigned")
    LENT = "lent", _("lent to a purchased service")


class WorkAssignment(models.Model):
    kind = models.CharField(max_length=8, choices=WorkKind.choices, verbose_name=_("work"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("case"))
    recheck = models.ForeignKey("enrollments.Recheck", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("re-check"))
    lead = models.ForeignKey("discovery.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("lead"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("household"))
    # Copied from the work, so assignments are scoped by one indexed prefix like the rest.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    worker = models.ForeignKey(StaffIdentity, on_delete=models.PROTECT, related_name="assignments",
                               verbose_name=_("worker"))
    due_on = models.DateField(null=True, blank=True, verbose_name=_("due on"))
    reason = models.CharField(max_length=12, choices=AssignmentReason.choices, verbose_name=_("how assigned"))
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("assigned by"))
    assigned_at = models.DateTimeField(verbose_name=_("assigned at"))
    is_current = models.BooleanField(default=True, verbose_name=_("current"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))

    class Meta:
        ordering = ["-assigned_at", "-id"]
        verbose_name = _("work assignment")
        verbose_name_plural = _("work assignments")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="case", case__isnull=False, recheck__isnull=True, lead__isnull=True)
                           | models.Q(kind="recheck", case__isnull=True, recheck__isnull=False, lead__isnull=True)
                           | models.Q(kind="lead", case__isnull=True, recheck__isnull=True, lead__isnull=False)),
                name="workassignment_one_work_by_kind"),
            # One current worker per piece of work.
            models.UniqueConstraint(fields=["case"], condition=models.Q(is_current=True, case__isnull=False),
                                    name="workassignment_one_current_per_case"),
            models.UniqueConstraint(fields=["recheck"], condition=models.Q(is_current=True, recheck__isnull=False),
                                    name="workassignment_one_current_per_recheck"),
            models.UniqueConstraint(fields=["lead"], condition=models.Q(is_current=True, lead__isnull=False),
                                    name="workassignment_one_current_per_lead"),
        ]
        indexes = [
            models.Index(fields=["worker", "is_current"], name="workassignment_worker_idx"),
            models.Index(fields=["area", "is_current"], name="workassignment_area_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.worker.name}"
