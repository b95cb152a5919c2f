"""Enrollments: who receives what each month, from which decision (DESIGN.md §2).

Minimal for issue 3: an enrollment is created when a dibao or special-hardship case is
confirmed. Payroll runs, re-checks and exits come with the payments issue. The database
refuses a second live enrollment for the same household and program (or, for individual
coverage and special hardship, the same person and program), so a double enrollment is
impossible rather than unlikely (DESIGN.md §8 rule 7).
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.registry.models import Household, Person


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    GRADUAL_EXIT = "gradual_exit", _("gradual exit")
    ENDED = "ended", _("ended")


LIVE_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED, EnrollmentStatus.GRADUAL_EXIT)


class Enrollment(models.Model):
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("program"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("household"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments",
                               verbose_name=_("person (individual coverage)"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("case"))
    decision = models.ForeignKey("cases.Decision", on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("decision"))
    status = models.CharField(max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE, verbose_name=_("status"))
    monthly_amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("monthly amount"))
    breakdown = models.JSONField(default=list, blank=True)
    start_month = models.DateField(verbose_name=_("from month"))     # the first day of the month
    next_recheck_date = models.DateField(verbose_name=_("next re-check"))
    bank_account = models.CharField(max_length=32, blank=True, verbose_name=_("bank account"))
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(fields=["household", "program"],
                                    condition=models.Q(person__isnull=True, status__in=["active", "suspended", "gradual_exit"]),
                                    name="enrollment_one_live_per_household_program"),
            models.UniqueConstraint(fields=["person", "program"],
                                    condition=models.Q(person__isnull=False, status__in=["active", "suspended", "gradual_exit"]),
                                    name="enrollment_one_live_per_person_program"),
            models.CheckConstraint(condition=models.Q(monthly_amount__gte=0), name="enrollment_amount_not_negative"),
            models.CheckConstraint(condition=models.Q(start_month__day=1), name="enrollment_start_first_of_month"),
        ]
        indexes = [models.Index(fields=["area", "status"], name="enrollment_area_status_idx")]

    def __str__(self):
        return f"#{self.pk} {self.household_id} {self.monthly_amount}"
