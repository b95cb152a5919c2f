"""Enrollments: who receives what each month, from which decision (DESIGN.md §2).

Minimal for issue 3: an enrollment is created when a dibao or special-hardship case is
confirmed. Payroll runs, re-checks and exits come with the payments issue. The database
refuses a second live enrollment for the same household and program (or, for individual
coverage and special hardship, the same person and program), so a double enrollment is
impossible rather than unlikely (DESIGN.md §8 rule 7).
"""
from django.conf import settings
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
# The statuses (of an enrollment or of a term of its amount history) in which a month is paid.
PAID_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.GRADUAL_EXIT)


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
        indexes = [models.Index(fields=["area", "status"], name="enrollment_area_status_idx"),
                   # Arrears look only at enrollments created after an earlier run (payroll/generation.py).
                   models.Index(fields=["created_at"], name="enrollment_created_idx")]

    def __str__(self):
        return f"#{self.pk} {self.household_id} {self.monthly_amount}"


# ---------------------------------------------------------------------------------------------
# Issue 5: enrollment history, payroll runs and payments
# ---------------------------------------------------------------------------------------------
class EnrollmentChange(models.Model):
    """One row per change of an enrollment's amount or status, with its reason and decision, so
    the enrollment page can say why the household is paid what it is paid (issue 5 part 1)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="changes", verbose_name=_("enrollment"))
    from_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("amount before"))
    to_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("amount after"))
    from_status = models.CharField(max_length=16, blank=True, verbose_name=_("status before"))
    to_status = models.CharField(max_length=16, blank=True, verbose_name=_("status after"))
    reason = models.CharField(max_length=500, verbose_name=_("reason"))
    decision = models.ForeignKey("cases.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("decision"))
    effective_month = models.DateField(null=True, blank=True, verbose_name=_("from month"))
    # Issue 5 part 3: what kind of decision, about which member, until when (a gradual exit's
    # last month + 1, a deduction's end), the rule's outcome and the facts it rested on
    # (DESIGN.md §4 Facts at decision time), and the re-check it closed.
    kind = models.CharField(max_length=16, default="other", verbose_name=_("kind"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("member"))
    until_month = models.DateField(null=True, blank=True, verbose_name=_("until month (exclusive)"))
    assessment = models.JSONField(default=dict, blank=True)
    facts = models.JSONField(default=dict, blank=True)
    recheck = models.ForeignKey("enrollments.Recheck", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("re-check"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("by"))
    by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["enrollment_id", "at", "id"]
        verbose_name = _("enrollment change")
        verbose_name_plural = _("enrollment changes")


# Issue 5 part 3: the amount history, re-checks, reports, signals, proposals and endings.
from .change_models import (  # noqa: E402,F401
    ChangeKind,
    ChangeProposal,
    ChangeReport,
    EndingStatus,
    EnrollmentTerm,
    Overpayment,
    OverpaymentSettlement,
    OverpaymentStatus,
    PendingEnding,
    ProposalStatus,
    Recheck,
    RecheckOutcome,
    RecheckReason,
    RecheckStatus,
    RecoveryMethod,
    ReportKind,
    SettlementKind,
    SignalKind,
    TriggerSignal,
    WorkRefusalDeduction,
)
