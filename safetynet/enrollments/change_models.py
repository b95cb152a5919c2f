"""Changes and exits of enrollments (issue 5 part 3; POLICY.md §1 Dynamic management, §2).

- `EnrollmentTerm` is the amount history the payroll joins: which status and amount hold for
  which months. An enrollment without terms is paid its `monthly_amount` while its `status` is
  paid (the enrollment as confirmed, never changed by date); its first dated change writes an
  opening term from its start month, then every decision re-writes the months from its
  effective month on. Terms never overlap and leave no gap, so at most one term covers a month.
- `WorkRefusalDeduction`: a member who refused suitable work three times loses his own share
  (MLG-2021 art. 34) for the months the decision names; the payroll subtracts it.
- `Overpayment`: money already paid for months a later decision (a death, a retroactive
  suspension or reduction) says were not due in full, kept to be recovered. Its `outstanding`
  falls with each recovery the county records; a waiver (a county leader's decision) settles
  what is left. `OverpaymentSettlement` keeps each of them (overpayments.py).
- `ChangeReport`: a household's report of a change (income, members, address, MLG-2021 art. 30).
- `Recheck`: the re-check queue of a town: scheduled (next re-check date due), opened by a change
  report or by department data; worked through verification and a survey, closed by a decision.
- `TriggerSignal`: one fact found in department data about a live enrollment (a death, a new
  vehicle, company or property). Its fingerprint is unique, so finding it again adds nothing.
- `ChangeProposal`: what a signal would change (a death's share), waiting in a town worker's
  queue to be confirmed or rejected with a reason: nothing changes silently.
- `PendingEnding`: a special-hardship ending waiting out its 7-day public notice (SH-2021 art. 26).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.registry.models import Household, Person


class ChangeKind(models.TextChoices):
    OTHER = "other", _("change")
    AMOUNT = "amount", _("amount change")
    SUSPENSION = "suspension", _("suspension")
    RESUMPTION = "resumption", _("resumption")
    GRADUAL_EXIT = "gradual_exit", _("gradual exit")
    ENDING = "ending", _("ending")
    WORK_REFUSAL = "work_refusal", _("deduction for refused work")
    DEATH = "death", _("death of a member")
    STANDARD = "standard", _("standard changed")


class EnrollmentTerm(models.Model):
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="terms",
                                   verbose_name=_("enrollment"))
    from_month = models.DateField(verbose_name=_("from month"))
    until_month = models.DateField(null=True, blank=True, verbose_name=_("until month (exclusive)"))
    status = models.CharField(max_length=16, verbose_name=_("status"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("monthly amount"))
    change = models.ForeignKey("enrollments.EnrollmentChange", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="terms", verbose_name=_("decided by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enrollment_id", "from_month"]
        verbose_name = _("amount in force")
        verbose_name_plural = _("amounts in force")
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "from_month"], name="term_one_per_enrollment_month"),
            models.CheckConstraint(condition=models.Q(from_month__day=1), name="term_from_first_of_month"),
            models.CheckConstraint(condition=models.Q(until_month__isnull=True) | models.Q(until_month__gt=models.F("from_month")),
                                   name="term_until_after_from"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="term_amount_not_negative"),
            models.CheckConstraint(condition=models.Q(status__in=["active", "suspended", "gradual_exit", "ended"]),
                                   name="term_status_known"),
        ]
        # Arrears for changes look only at terms written after an earlier run (generation.py).
        indexes = [models.Index(fields=["created_at"], name="term_created_idx")]


class WorkRefusalDeduction(models.Model):
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="deductions",
                                   verbose_name=_("enrollment"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    from_month = models.DateField(verbose_name=_("from month"))
    until_month = models.DateField(verbose_name=_("until month (exclusive)"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("monthly deduction"))
    refusals = models.PositiveSmallIntegerField(verbose_name=_("refusals"))
    change = models.ForeignKey("enrollments.EnrollmentChange", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("decision"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enrollment_id", "from_month"]
        verbose_name = _("deduction for refused work")
        verbose_name_plural = _("deductions for refused work")
        constraints = [
            models.CheckConstraint(condition=models.Q(until_month__gt=models.F("from_month")), name="deduction_until_after_from"),
            models.CheckConstraint(condition=models.Q(from_month__day=1, until_month__day=1), name="deduction_whole_months"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="deduction_amount_positive"),
        ]
        indexes = [models.Index(fields=["enrollment", "from_month"], name="deduction_enrollment_idx")]


class OverpaymentStatus(models.TextChoices):
    OPEN = "open", _("to recover")
    RECOVERED = "recovered", _("recovered")
    WAIVED = "waived", _("waived")


class Overpayment(models.Model):
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="overpayments",
                                   verbose_name=_("enrollment"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    change = models.ForeignKey("enrollments.EnrollmentChange", on_delete=models.PROTECT, related_name="overpayments",
                               verbose_name=_("decision"))
    month = models.DateField(verbose_name=_("for month"))
    paid = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("paid"))
    due = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("due"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("to recover"))
    outstanding = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("outstanding"))
    status = models.CharField(max_length=12, choices=OverpaymentStatus.choices, default=OverpaymentStatus.OPEN,
                              verbose_name=_("status"))
    settled_on = models.DateField(null=True, blank=True, verbose_name=_("settled on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enrollment_id", "month", "id"]
        verbose_name = _("overpayment")
        verbose_name_plural = _("overpayments")
        constraints = [
            models.UniqueConstraint(fields=["change", "month"], name="overpayment_once_per_change_month"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="overpayment_amount_positive"),
            models.CheckConstraint(condition=models.Q(outstanding__gte=0, outstanding__lte=models.F("amount")),
                                   name="overpayment_outstanding_within_amount"),
            # open while something is left; recovered or waived once nothing is
            models.CheckConstraint(condition=models.Q(status="open", outstanding__gt=0, settled_on__isnull=True)
                                   | models.Q(status__in=["recovered", "waived"], outstanding=0, settled_on__isnull=False),
                                   name="overpayment_status_matches_outstanding"),
        ]
        indexes = [models.Index(fields=["area", "status"], name="overpayment_area_status_idx")]


class SettlementKind(models.TextChoices):
    RECOVERED = "recovered", _("recovered")
    WAIVED = "waived", _("waived")


class RecoveryMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("paid back by bank transfer")
    CASH = "cash", _("paid back in cash at the office")
    OTHER = "other", _("other (say how in the note)")


class OverpaymentSettlement(models.Model):
    """One recovery (an amount, its date and how it came back) or the waiver of what was left (a
    county leader's decision, with its reason). Append-only: a mistake is corrected by the county
    office outside this table, never by editing a row."""

    overpayment = models.ForeignKey(Overpayment, on_delete=models.PROTECT, related_name="settlements",
                                    verbose_name=_("overpayment"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    kind = models.CharField(max_length=12, choices=SettlementKind.choices, verbose_name=_("settled by"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))
    on = models.DateField(verbose_name=_("date"))
    method = models.CharField(max_length=16, choices=RecoveryMethod.choices, blank=True, verbose_name=_("how"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county leader who decided"))
    leader_name = models.CharField(max_length=150, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["overpayment_id", "id"]
        verbose_name = _("overpayment settlement")
        verbose_name_plural = _("overpayment settlements")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="settlement_amount_positive"),
            models.CheckConstraint(condition=models.Q(kind="recovered", leader__isnull=True) & ~models.Q(method="")
                                   | models.Q(kind="waived", leader__isnull=False, method="") & ~models.Q(note=""),
                                   name="settlement_recovery_says_how_waiver_who_and_why"),
        ]


class ReportKind(models.TextChoices):
    INCOME = "income", _("income")
    MEMBERS = "members", _("household members")
    ADDRESS = "address", _("address")


class ChangeReport(models.Model):
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="change_reports",
                                   verbose_name=_("enrollment"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("household"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    kind = models.CharField(max_length=12, choices=ReportKind.choices, verbose_name=_("what changed"))
    description = models.TextField(verbose_name=_("what the household reports"))
    reported_on = models.DateField(verbose_name=_("reported on"))
    recheck = models.ForeignKey("enrollments.Recheck", null=True, blank=True, on_delete=models.PROTECT, related_name="reports",
                                verbose_name=_("re-check"))
    recorded_by = models.CharField(max_length=150)
    recorded_role = models.CharField(max_length=32, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("change report")
        verbose_name_plural = _("change reports")


class RecheckReason(models.TextChoices):
    SCHEDULED = "scheduled", _("re-check date due")
    CHANGE_REPORT = "change_report", _("change reported")
    DEPARTMENT_DATA = "department_data", _("department data")


class RecheckStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class RecheckOutcome(models.TextChoices):
    KEPT = "kept", _("unchanged")
    AMOUNT = "amount", _("amount changed")
    SUSPENSION = "suspension", _("suspended")
    GRADUAL_EXIT = "gradual_exit", _("gradual exit")
    ENDING = "ending", _("ended")
    ENDING_NOTICE = "ending_notice", _("ending put on notice")


class Recheck(models.Model):
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="rechecks",
                                   verbose_name=_("enrollment"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    reason = models.CharField(max_length=16, choices=RecheckReason.choices, verbose_name=_("why"))
    reason_detail = models.CharField(max_length=500, blank=True, verbose_name=_("details"))
    opened_on = models.DateField(verbose_name=_("opened on"))
    due_on = models.DateField(verbose_name=_("due on"))
    status = models.CharField(max_length=8, choices=RecheckStatus.choices, default=RecheckStatus.OPEN, verbose_name=_("status"))
    verification_run_id = models.BigIntegerField(null=True, blank=True)
    household_result_id = models.BigIntegerField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verified at"))
    survey_on = models.DateField(null=True, blank=True, verbose_name=_("survey date"))
    survey_investigators = models.JSONField(default=list, blank=True, verbose_name=_("investigators"))
    survey_findings = models.TextField(blank=True, verbose_name=_("survey findings"))
    survey_signed = models.BooleanField(default=False, verbose_name=_("signed by the household"))
    care_level = models.CharField(max_length=16, blank=True, verbose_name=_("care level"))
    outcome = models.CharField(max_length=16, choices=RecheckOutcome.choices, blank=True, verbose_name=_("outcome"))
    change = models.ForeignKey("enrollments.EnrollmentChange", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("decision"))
    closed_on = models.DateField(null=True, blank=True, verbose_name=_("closed on"))
    closed_by = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("re-check")
        verbose_name_plural = _("re-checks")
        constraints = [
            models.UniqueConstraint(fields=["enrollment"], condition=models.Q(status="open"), name="recheck_one_open_per_enrollment"),
        ]
        indexes = [models.Index(fields=["area", "status", "due_on"], name="recheck_area_status_due_idx")]


class SignalKind(models.TextChoices):
    DEATH = "death", _("death of a member")
    VEHICLE = "vehicle", _("new motor vehicle")
    BUSINESS = "business", _("new company or business role")
    PROPERTY = "property", _("new property")
    STANDARD = "standard", _("standard changed")


class TriggerSignal(models.Model):
    fingerprint = models.CharField(max_length=300, unique=True)
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="signals",
                                   verbose_name=_("enrollment"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    kind = models.CharField(max_length=12, choices=SignalKind.choices, verbose_name=_("what was found"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    source = models.CharField(max_length=40, verbose_name=_("dataset"))
    snapshot_id = models.BigIntegerField(null=True, blank=True)
    record_key = models.CharField(max_length=240)
    record_date = models.DateField(null=True, blank=True, verbose_name=_("date in the record"))
    subject = models.CharField(max_length=240, blank=True, verbose_name=_("what"))
    found_on = models.DateField(verbose_name=_("found on"))
    handled = models.BooleanField(default=False)
    effect = models.CharField(max_length=200, blank=True, verbose_name=_("effect"))
    recheck = models.ForeignKey(Recheck, null=True, blank=True, on_delete=models.PROTECT, related_name="signals")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("department-data signal")
        verbose_name_plural = _("department-data signals")
        indexes = [models.Index(fields=["handled"], condition=models.Q(handled=False), name="signal_unhandled_idx")]


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("waiting for confirmation")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")


class ChangeProposal(models.Model):
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="proposals",
                                   verbose_name=_("enrollment"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    signal = models.OneToOneField(TriggerSignal, on_delete=models.PROTECT, related_name="proposal", verbose_name=_("signal"))
    kind = models.CharField(max_length=16, choices=ChangeKind.choices, verbose_name=_("change"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    effective_month = models.DateField(verbose_name=_("from month"))
    current_amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount now"))
    proposed_amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("proposed amount"))
    proposed_status = models.CharField(max_length=16, verbose_name=_("proposed status"))
    reason = models.CharField(max_length=500, verbose_name=_("reason"))
    assessment = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PENDING,
                              verbose_name=_("status"))
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True, verbose_name=_("why rejected"))
    change = models.ForeignKey("enrollments.EnrollmentChange", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")
        indexes = [models.Index(fields=["area", "status"], name="proposal_area_status_idx")]


class EndingStatus(models.TextChoices):
    NOTICE = "notice", _("on public notice")
    APPLIED = "applied", _("ended")
    WITHDRAWN = "withdrawn", _("withdrawn")


class PendingEnding(models.Model):
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="pending_endings",
                                   verbose_name=_("enrollment"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    notice = models.ForeignKey("publicity.Notice", on_delete=models.PROTECT, related_name="+", verbose_name=_("notice"))
    reason = models.CharField(max_length=500, verbose_name=_("reason"))
    effective_month = models.DateField(null=True, blank=True, verbose_name=_("from month"))
    notice_ends_on = models.DateField(verbose_name=_("notice ends on"))
    status = models.CharField(max_length=12, choices=EndingStatus.choices, default=EndingStatus.NOTICE, verbose_name=_("status"))
    recheck = models.ForeignKey(Recheck, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.CharField(max_length=150)
    decided_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    change = models.ForeignKey("enrollments.EnrollmentChange", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ending on notice")
        verbose_name_plural = _("endings on notice")
        constraints = [
            models.UniqueConstraint(fields=["enrollment"], condition=models.Q(status="notice"), name="ending_one_on_notice"),
        ]
