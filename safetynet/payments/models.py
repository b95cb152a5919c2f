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
                   # Arrears look only at enrollments created after an earlier run (payments/generation.py).
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
    recheck = models.ForeignKey("payments.Recheck", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("re-check"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("by"))
    by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["enrollment_id", "at", "id"]
        verbose_name = _("enrollment change")
        verbose_name_plural = _("enrollment changes")


class RunStatus(models.TextChoices):
    GENERATING = "generating", _("generating")
    GENERATED = "generated", _("generated")
    APPROVED = "approved", _("approved")
    EXPORTED = "exported", _("exported")
    RECONCILED = "reconciled", _("reconciled")


FROZEN_RUN_STATUSES = (RunStatus.APPROVED, RunStatus.EXPORTED, RunStatus.RECONCILED)


class PayrollRun(models.Model):
    """A county's payroll for one month. Maker-checker: the generator and the approver are two
    different people, refused by the service and by the database (DESIGN.md §1, §8 rule 7).
    Once approved the run is frozen: its payments and totals no longer change, only their bank
    outcome (exported, paid, failed, carried over)."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    month = models.DateField(verbose_name=_("month"))          # the first day of the month
    code = models.CharField(max_length=16, unique=True, verbose_name=_("run code"))  # county + YYYYMM
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.GENERATING, verbose_name=_("status"))
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("generated by"))
    generated_by_username = models.CharField(max_length=150, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("generated at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("approved by"))
    approved_by_username = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    exported_at = models.DateTimeField(null=True, blank=True, verbose_name=_("exported at"))
    reconciled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reconciled at"))
    total_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0, verbose_name=_("total"))
    payment_count = models.PositiveIntegerField(default=0, verbose_name=_("payments"))
    payable_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0, verbose_name=_("to the banks"))
    payable_count = models.PositiveIntegerField(default=0)
    no_account_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0, verbose_name=_("without account"))
    no_account_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)        # totals by town and program, change from last month
    export_summary = models.JSONField(default=dict, blank=True)  # bank files: counts, totals, SHA-256
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "area_id"]
        verbose_name = _("payroll run")
        verbose_name_plural = _("payroll runs")
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="payrollrun_one_per_county_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="payrollrun_month_first_day"),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True) | models.Q(generated_by__isnull=True)
                | ~models.Q(approved_by=models.F("generated_by")),
                name="payrollrun_maker_is_not_checker"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "exported", "reconciled"]) | models.Q(approved_at__isnull=False),
                name="payrollrun_frozen_means_approved"),
        ]

    def __str__(self):
        return self.code

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_RUN_STATUSES


class PaymentKind(models.TextChoices):
    REGULAR = "regular", _("this month")
    ARREARS = "arrears", _("arrears")
    CARRIED = "carried", _("carried over")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    NO_ACCOUNT = "no_account", _("no bank account")
    EXPORTED = "exported", _("sent to bank")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")
    CARRIED_OVER = "carried_over", _("carried to a later run")


class Payment(models.Model):
    """One enrollment's money for one month (`month` is the month the money is FOR; the run's
    month is when it is paid, so an arrears row of September sits in October's run).

    The database refuses a second payment for the same enrollment and month: the unique index
    leaves out only rows that were carried over (failed or unpaid rows whose money moved to a
    later run as a new row pointing back at them with `carried_from`), which were not paid.

    Its references carry no database foreign-key constraints (`db_constraint=False`): a run writes
    a million rows in one statement, and PostgreSQL checks foreign keys row by row (six checks a
    payment cost more than a minute per million on the benchmark machine). Every row is selected
    from the enrollment and run it points at, and `on_delete=PROTECT` still guards deletes."""

    run = models.ForeignKey(PayrollRun, on_delete=models.PROTECT, related_name="payments", db_index=False, db_constraint=False,
                            verbose_name=_("payroll run"))
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="payments", db_index=False, db_constraint=False,
                                   verbose_name=_("enrollment"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False,
                                  verbose_name=_("household"))
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False,
                                verbose_name=_("program"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False, verbose_name=_("area"))
    month = models.DateField(verbose_name=_("for month"))
    kind = models.CharField(max_length=8, choices=PaymentKind.choices, default=PaymentKind.REGULAR, verbose_name=_("kind"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))
    bank_account = models.CharField(max_length=32, blank=True, verbose_name=_("bank account"))
    payee_name = models.CharField(max_length=50, blank=True, verbose_name=_("payee"))
    reference = models.CharField(max_length=64, unique=True, verbose_name=_("reference"))
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING,
                              verbose_name=_("status"))
    carried_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     db_index=False, db_constraint=False, verbose_name=_("carried from"))
    return_reason = models.CharField(max_length=200, blank=True, verbose_name=_("bank's reason"))

    class Meta:
        ordering = ["run_id", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            # (month, enrollment): one index answers both "who is paid for this month" (the
            # generation's anti-join, a range on month) and "is this enrollment paid for month M".
            models.UniqueConstraint(fields=["month", "enrollment"], condition=~models.Q(status="carried_over"),
                                    name="payment_once_per_enrollment_month"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="payment_month_first_day"),
            models.CheckConstraint(condition=~models.Q(status="no_account") | models.Q(bank_account=""),
                                   name="payment_no_account_has_no_account"),
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="payment_run_status_idx"),
            models.Index(fields=["enrollment"], name="payment_enrollment_idx"),
            models.Index(fields=["carried_from"], condition=models.Q(carried_from__isnull=False),
                         name="payment_carried_from_idx"),
        ]

    def __str__(self):
        return self.reference


# Issue 5 part 3: the amount history, re-checks, reports, signals, proposals and endings.
from .change_models import (  # noqa: E402,F401
    ChangeKind, ChangeProposal, ChangeReport, EndingStatus, EnrollmentTerm, Overpayment, OverpaymentSettlement,
    OverpaymentStatus, PendingEnding, ProposalStatus, Recheck, RecheckOutcome, RecheckReason, RecheckStatus, RecoveryMethod,
    ReportKind, SettlementKind, SignalKind, TriggerSignal, WorkRefusalDeduction,
)
