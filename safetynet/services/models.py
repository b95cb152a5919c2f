"""Purchased services (issue 19 part 4): the social organisations a county buys work from, their
contracts, the tasks assigned to their workers, and what each month of accepted tasks is owed.

A `Provider` is a registered social organisation (its unified social credit code, the authority
it is registered with, a contact); its workers are staff identities (`workforce.StaffIdentity`)
linked by `ProviderWorker`. A `Contract` says what the county buys (`scopes`), where (a county or
one town), for how long, at what price (per accepted task or a lump sum) and the accuracy it
expects. A `ServiceTask` is one case, re-check or lead given to a provider's worker under a
contract; it names the `workload.WorkAssignment` (reason "lent") that opens the work to the
worker, and its status moves only through `tasks.transition`. A `ProviderStatement` is what a
contract earned in a month, written once per contract and month; funding charges it to a budget.

Service projects (another part of issue 19) keep their models in `project_models.py`, imported at
the end of this module.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.workforce.models import StaffIdentity
from safetynet.workload.models import WorkKind


class ServiceScope(models.TextChoices):
    SURVEY = "survey", _("household surveys")
    DISCOVERY = "discovery", _("active discovery")
    VERIFICATION_SUPPORT = "verification_support", _("verification support")
    CARE = "care", _("care services")


class Pricing(models.TextChoices):
    PER_TASK = "per_task", _("a price per accepted task")
    LUMP_SUM = "lump_sum", _("a lump sum for the period")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("in force")
    ENDED = "ended", _("ended")


class TaskStatus(models.TextChoices):
    ASSIGNED = "assigned", _("assigned")
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


OPEN_TASK_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.SUBMITTED)


class PaymentStatus(models.TextChoices):
    DUE = "due", _("due")
    CHARGED = "charged", _("charged to a budget")
    PAID = "paid", _("paid")


class Provider(models.Model):
    name = models.CharField(max_length=100, verbose_name=_("name"))
    uscc = models.CharField(max_length=18, unique=True, verbose_name=_("unified social credit code"))
    registration_authority = models.CharField(max_length=100, verbose_name=_("registered with"))
    contact_person = models.CharField(max_length=50, verbose_name=_("contact person"))
    phone = models.CharField(max_length=30, verbose_name=_("phone"))
    address = models.CharField(max_length=200, blank=True, verbose_name=_("address"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    registered_on = models.DateField(verbose_name=_("registered on"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("registered by"))

    class Meta:
        ordering = ["area_id", "name", "id"]
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")

    def __str__(self):
        return self.name


class ProviderWorker(models.Model):
    """A staff identity working for a provider (a social worker of a 社会工作服务中心)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="workers", verbose_name=_("provider"))
    staff_identity = models.ForeignKey(StaffIdentity, on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("staff identity"))
    # Copied from the provider, so the workers are scoped by one indexed prefix like the rest.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    joined_on = models.DateField(verbose_name=_("joined on"))
    left_on = models.DateField(null=True, blank=True, verbose_name=_("left on"))

    class Meta:
        ordering = ["provider_id", "staff_identity__name", "id"]
        verbose_name = _("provider's worker")
        verbose_name_plural = _("providers' workers")
        constraints = [
            # A person works for one provider at a time.
            models.UniqueConstraint(fields=["staff_identity"], condition=Q(is_active=True),
                                    name="providerworker_one_active_per_identity"),
        ]

    def __str__(self):
        return self.staff_identity.name


class Contract(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("provider"))
    reference = models.CharField(max_length=40, verbose_name=_("contract number"))
    # A county (every town of it) or one town.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area covered"))
    scopes = models.JSONField(default=list, verbose_name=_("services bought"))
    starts_on = models.DateField(verbose_name=_("from"))
    ends_on = models.DateField(verbose_name=_("until"))
    pricing = models.CharField(max_length=10, choices=Pricing.choices, verbose_name=_("pricing"))
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                     verbose_name=_("price per task"))
    lump_sum = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("lump sum"))
    quality_target = models.DecimalField(max_digits=4, decimal_places=3, default="0.950",
                                         verbose_name=_("accuracy target"))
    status = models.CharField(max_length=8, choices=ContractStatus.choices, default=ContractStatus.DRAFT,
                              verbose_name=_("status"))
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("signed by"))
    signed_on = models.DateField(null=True, blank=True, verbose_name=_("signed on"))
    ended_on = models.DateField(null=True, blank=True, verbose_name=_("ended on"))
    end_reason = models.CharField(max_length=200, blank=True, verbose_name=_("why ended"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("drawn up by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference"], name="contract_reference_per_provider"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="contract_period_ordered"),
            models.CheckConstraint(
                condition=(Q(pricing="per_task", unit_price__gt=0, lump_sum__isnull=True)
                           | Q(pricing="lump_sum", lump_sum__gt=0, unit_price__isnull=True)),
                name="contract_one_price_by_pricing"),
            models.CheckConstraint(condition=Q(quality_target__gt=0, quality_target__lte=1),
                                   name="contract_quality_target_ratio"),
        ]
        indexes = [models.Index(fields=["area", "status"], name="contract_area_status_idx")]

    def __str__(self):
        return f"{self.reference} {self.provider.name}"

    @property
    def scope_labels(self) -> list[str]:
        return [str(ServiceScope(s).label) for s in self.scopes if s in ServiceScope.values]


class ServiceTask(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("contract"))
    kind = models.CharField(max_length=24, choices=ServiceScope.choices, verbose_name=_("service"))
    work_kind = models.CharField(max_length=8, choices=WorkKind.choices, verbose_name=_("work"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("case"))
    recheck = models.ForeignKey("enrollments.Recheck", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("re-check"))
    lead = models.ForeignKey("discovery.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("lead"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("household"))
    # Copied from the work, so tasks are scoped by one indexed prefix like the rest.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    worker = models.ForeignKey(ProviderWorker, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("worker"))
    assignment = models.ForeignKey("workload.WorkAssignment", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("work assignment"))
    assigned_on = models.DateField(verbose_name=_("assigned on"))
    due_on = models.DateField(verbose_name=_("due on"))
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.ASSIGNED,
                              verbose_name=_("status"))
    submitted_on = models.DateField(null=True, blank=True, verbose_name=_("submitted on"))
    submission_note = models.TextField(blank=True, verbose_name=_("what was done"))
    decided_on = models.DateField(null=True, blank=True, verbose_name=_("decided on"))
    decided_by = models.CharField(max_length=150, blank=True, verbose_name=_("decided by"))
    reject_reason = models.CharField(max_length=500, blank=True, verbose_name=_("why rejected"))
    statement = models.ForeignKey("services.ProviderStatement", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="tasks", verbose_name=_("statement"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("assigned by"))

    class Meta:
        ordering = ["-assigned_on", "-id"]
        verbose_name = _("service task")
        verbose_name_plural = _("service tasks")
        constraints = [
            models.CheckConstraint(
                condition=(Q(work_kind="case", case__isnull=False, recheck__isnull=True, lead__isnull=True)
                           | Q(work_kind="recheck", case__isnull=True, recheck__isnull=False, lead__isnull=True)
                           | Q(work_kind="lead", case__isnull=True, recheck__isnull=True, lead__isnull=False)),
                name="servicetask_one_work_by_kind"),
            # One open task per piece of work: it is with one provider at a time.
            models.UniqueConstraint(fields=["case"], condition=Q(status__in=["assigned", "submitted"], case__isnull=False),
                                    name="servicetask_one_open_per_case"),
            models.UniqueConstraint(fields=["recheck"],
                                    condition=Q(status__in=["assigned", "submitted"], recheck__isnull=False),
                                    name="servicetask_one_open_per_recheck"),
            models.UniqueConstraint(fields=["lead"], condition=Q(status__in=["assigned", "submitted"], lead__isnull=False),
                                    name="servicetask_one_open_per_lead"),
            # Only an accepted task is paid, and it is on one statement.
            models.CheckConstraint(condition=Q(statement__isnull=True) | Q(status="accepted"),
                                   name="servicetask_paid_only_accepted"),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("assigned_on")), name="servicetask_due_after_assigned"),
        ]
        indexes = [
            models.Index(fields=["contract", "status"], name="servicetask_contract_idx"),
            models.Index(fields=["area", "status"], name="servicetask_area_idx"),
            models.Index(fields=["worker", "status"], name="servicetask_worker_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def work_id(self) -> int | None:
        return self.case_id or self.recheck_id or self.lead_id

    @property
    def work_label(self) -> str:
        return f"{self.get_work_kind_display()} #{self.work_id}"


class ServiceTaskEvent(models.Model):
    """A task's timeline: each status change, who made it and what they wrote."""

    task = models.ForeignKey(ServiceTask, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    at = models.DateTimeField()
    by = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    @property
    def to_label(self) -> str:
        return str(TaskStatus(self.to_status).label) if self.to_status in TaskStatus.values else self.to_status


class ProviderStatement(models.Model):
    """What a contract earned in a month: the tasks accepted (each on one statement only) times
    the price, or the lump sum's share of the month. Funding charges it to a budget line and
    records the payment here (`statements.record_charge`, `record_payment`)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="statements",
                                 verbose_name=_("contract"))
    # Copied from the contract, so statements are scoped by one indexed prefix like the rest.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area covered"))
    month = models.DateField(verbose_name=_("month"))       # the first day of the month
    tasks_accepted = models.PositiveIntegerField(default=0, verbose_name=_("tasks accepted"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))
    generated_at = models.DateTimeField(verbose_name=_("drawn up at"))
    payment_status = models.CharField(max_length=8, choices=PaymentStatus.choices, default=PaymentStatus.DUE,
                                      verbose_name=_("payment"))
    charge_reference = models.CharField(max_length=60, blank=True, verbose_name=_("budget charge"))
    charged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("charged at"))
    paid_on = models.DateField(null=True, blank=True, verbose_name=_("paid on"))

    class Meta:
        ordering = ["-month", "contract_id"]
        verbose_name = _("provider statement")
        verbose_name_plural = _("provider statements")
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="providerstatement_once_per_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="providerstatement_amount_not_negative"),
            models.CheckConstraint(condition=Q(payment_status="due") | ~Q(charge_reference=""),
                                   name="providerstatement_charge_named"),
        ]

    def __str__(self):
        return f"{self.contract.reference} {self.month:%Y-%m}"

# Service projects (issue 19, another part) keep their models in project_models.py, imported here.
from .project_models import *  # noqa: E402,F401,F403
