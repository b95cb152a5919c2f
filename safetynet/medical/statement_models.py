"""Monthly statements of the designated institutions and their payment (issue 20 part 3; POLICY.md
§4: "SafetyNet reimburses the institution monthly").

- `MedicalStatement`: what SafetyNet owes one institution for one month: its one-stop settlements
  stated on it (each settlement on exactly one statement: `Settlement.statement`), less the
  reversals of settlements already stated on an approved statement (each deducted once:
  `Settlement.reversal_statement`), plus a deficit carried from an earlier statement whose net was
  below zero. A settlement reversed before it was stated is on no statement (it nets to nothing).
  Compared with the institution's own claim (`differences`), approved by a county leader who did
  not generate it (maker-checker in the service and in the database), charged to the county's
  medical assistance budget on approval, paid through the payroll's bank files and returns.
- `MedicalPaymentRun`: a county's statements of a month paid as one run (one bank row per
  institution), like a subsidy run (funding/subsidy_runs.py) through `payroll/bankfiles.py`. A
  statement the bank failed, or that had no bank account, is paid by a later run of the county:
  it moves into that run when the run is exported.
- `MedicalClaim` and `MedicalClaimVisit`: the institution's own monthly claim (counts, total and
  optionally each visit), once per institution and month, replaced while its statement is open.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.payroll.bankfiles import maker_is_not_checker


class MedicalPaymentRunStatus(models.TextChoices):
    OPEN = "open", _("being reconciled and approved")
    EXPORTED = "exported", _("sent to the bank")
    RECONCILED = "reconciled", _("reconciled with the bank's returns")


class MedicalPaymentRun(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    month = models.DateField(verbose_name=_("month"))   # the first day of the month
    code = models.CharField(max_length=20, unique=True, verbose_name=_("run code"))   # YL + county + YYYYMM
    status = models.CharField(max_length=12, choices=MedicalPaymentRunStatus.choices, default=MedicalPaymentRunStatus.OPEN,
                              verbose_name=_("status"))
    statement_count = models.PositiveIntegerField(default=0, verbose_name=_("statements"))
    net_total = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("net total"))
    payable_count = models.PositiveIntegerField(default=0)
    payable_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("to the banks"))
    no_account_count = models.PositiveIntegerField(default=0)
    no_account_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0,
                                            verbose_name=_("without bank account"))
    summary = models.JSONField(default=dict, blank=True)          # what the last generation did
    export_summary = models.JSONField(default=dict, blank=True)   # bank files: counts, totals, SHA-256, directory
    exported_at = models.DateTimeField(null=True, blank=True, verbose_name=_("exported at"))
    exported_by_username = models.CharField(max_length=150, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reconciled at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "area_id"]
        verbose_name = _("medical payment run")
        verbose_name_plural = _("medical payment runs")
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="medical_payrun_once_per_county_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="medical_payrun_month_first_day"),
        ]

    def __str__(self):
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status == MedicalPaymentRunStatus.OPEN


class MedicalStatementStatus(models.TextChoices):
    DRAFT = "draft", _("draft: not reconciled yet")
    RECONCILED = "reconciled", _("reconciled with the claim")
    DISCREPANT = "discrepant", _("differs from the claim")
    APPROVED = "approved", _("approved for payment")
    CARRIED = "carried", _("nothing to pay: carried to the next statement")
    NO_ACCOUNT = "no_account", _("no bank account: listed, not paid")
    EXPORTED = "exported", _("sent to the bank")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed at the bank")


# A statement still open takes late settlements and is compared with the claim again; any other is
# frozen (approved, and from then on only paid).
OPEN_STATEMENT_STATUSES = ("draft", "reconciled", "discrepant")
FROZEN_STATEMENT_STATUSES = ("approved", "carried", "no_account", "exported", "paid", "failed")


class MedicalStatement(models.Model):
    run = models.ForeignKey(MedicalPaymentRun, on_delete=models.PROTECT, related_name="statements",
                            verbose_name=_("payment run"))
    institution = models.ForeignKey("medical.Institution", on_delete=models.PROTECT, related_name="statements",
                                    verbose_name=_("institution"))
    month = models.DateField(verbose_name=_("month"))   # the first day of the month
    status = models.CharField(max_length=12, choices=MedicalStatementStatus.choices, default=MedicalStatementStatus.DRAFT,
                              verbose_name=_("status"))
    settlements_count = models.PositiveIntegerField(default=0, verbose_name=_("settlements"))
    assistance_total = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("assistance"))
    # Settlements stated on an earlier approved statement and reversed since: deducted here, once.
    reversals_count = models.PositiveIntegerField(default=0, verbose_name=_("reversals"))
    reversals_total = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("reversed"))
    # The deficits (nets below zero) of the institution's earlier statements, carried here (≤ 0).
    carried_total = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("carried"))
    net_total = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("net"))
    # The institution's claim as it stood at the last reconciliation (empty: no claim).
    claimed_count = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("claimed settlements"))
    claimed_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                        verbose_name=_("claimed assistance"))
    differences = models.JSONField(default=dict, blank=True, verbose_name=_("differences"))
    # The payment: the amount sent to the bank, its reference, the account it went to.
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("paid through the bank"))
    reference = models.CharField(max_length=64, unique=True, null=True, blank=True, verbose_name=_("reference"))
    bank_account = models.CharField(max_length=32, blank=True, verbose_name=_("bank account"))
    account_name = models.CharField(max_length=200, blank=True, verbose_name=_("account name"))
    return_reason = models.CharField(max_length=200, blank=True, verbose_name=_("bank's reason"))
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("generated by"))
    generated_by_username = models.CharField(max_length=150, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("generated at"))
    reconciled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("compared with the claim at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("approved by"))
    approved_by_username = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    approval_note = models.CharField(max_length=500, blank=True, verbose_name=_("approval note"))
    charged_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0,
                                         verbose_name=_("charged to the budget"))
    exported_at = models.DateTimeField(null=True, blank=True, verbose_name=_("exported at"))
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paid at"))
    carried_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="carried_from",
                                     verbose_name=_("carried into"))

    class Meta:
        ordering = ["-month", "institution__code"]
        verbose_name = _("institution statement")
        verbose_name_plural = _("institution statements")
        indexes = [models.Index(fields=["run", "status"], name="medical_statement_run_status")]
        constraints = [
            models.UniqueConstraint(fields=["institution", "month"], name="medical_statement_once_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="medical_statement_month_first_day"),
            maker_is_not_checker("medical_statement_maker_is_not_checker"),
            models.CheckConstraint(condition=~Q(status__in=FROZEN_STATEMENT_STATUSES) | Q(approved_at__isnull=False),
                                   name="medical_statement_frozen_means_approved"),
            models.CheckConstraint(condition=Q(net_total=F("assistance_total") - F("reversals_total") + F("carried_total")),
                                   name="medical_statement_net_adds_up"),
            models.CheckConstraint(condition=Q(assistance_total__gte=0, reversals_total__gte=0, carried_total__lte=0,
                                               amount__gte=0, charged_amount__gte=0),
                                   name="medical_statement_signs"),
            models.CheckConstraint(condition=~Q(status="carried") | Q(net_total__lte=0),
                                   name="medical_statement_carried_has_nothing_to_pay"),
            models.CheckConstraint(condition=~Q(status__in=["exported", "paid", "failed"])
                                   | Q(amount__gt=0, amount=F("net_total")),
                                   name="medical_statement_paid_is_the_net"),
        ]

    def __str__(self):
        return f"{self.institution_id} {self.month:%Y-%m}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATEMENT_STATUSES


class MedicalClaim(models.Model):
    """What the institution's own system says it settled in a month (the last claim sent)."""

    institution = models.ForeignKey("medical.Institution", on_delete=models.PROTECT, related_name="claims",
                                    verbose_name=_("institution"))
    month = models.DateField(verbose_name=_("month"))
    settlements_count = models.PositiveIntegerField(verbose_name=_("settlements claimed"))
    assistance_total = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("assistance claimed"))
    visits_count = models.PositiveIntegerField(default=0, verbose_name=_("visits listed"))   # 0: totals only
    submissions = models.PositiveSmallIntegerField(default=1, verbose_name=_("times sent"))
    submitted_at = models.DateTimeField(verbose_name=_("sent at"))

    class Meta:
        ordering = ["-month", "institution_id"]
        verbose_name = _("institution claim")
        verbose_name_plural = _("institution claims")
        constraints = [
            models.UniqueConstraint(fields=["institution", "month"], name="medical_claim_once_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="medical_claim_month_first_day"),
            models.CheckConstraint(condition=Q(assistance_total__gte=0), name="medical_claim_total_not_negative"),
        ]


class MedicalClaimVisit(models.Model):
    claim = models.ForeignKey(MedicalClaim, on_delete=models.CASCADE, related_name="visits", db_index=False)
    visit_number = models.CharField(max_length=64, verbose_name=_("visit number"))
    assistance = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("assistance claimed"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "visit_number"], name="medical_claim_visit_once"),
            models.CheckConstraint(condition=Q(assistance__gte=0), name="medical_claim_visit_not_negative"),
        ]


__all__ = ["MedicalPaymentRunStatus", "MedicalPaymentRun", "MedicalStatementStatus", "OPEN_STATEMENT_STATUSES",
           "FROZEN_STATEMENT_STATUSES", "MedicalStatement", "MedicalClaim", "MedicalClaimVisit"]
