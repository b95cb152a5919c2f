"""Medical assistance (issue 20; POLICY.md §4; MA-2021).

- `MedicalCategory`: a category people qualify under (special hardship, dibao, returned to
  poverty, low-income margin, at risk of returning to poverty, impoverished by illness, and any a
  county adds). A national row (`county` empty) is the default; a county's row with the same code
  overrides it for the county, and `active=False` retires it there. How a person qualifies is
  data: a live enrollment in a program, a current entry of the monitoring register in a category,
  or only a manual `Certification`; any category may also be certified by hand.
- `CategoryTerms`: the rate, the deductible (an amount, or a share of the area's previous-year
  per-capita disposable income) and the annual cap of a category, for an area (empty: national)
  from a year on. The terms in force for a person are the most specific area's, newest year not
  after the bill's.
- `Institution` and `InstitutionKey`: designated hospitals and clinics, their contract period and
  bank account, and their API keys (only a SHA-256 kept; rotated with an overlap, revoked at once).
- `PersonYear`: one row per person and year holding what has counted so far (eligible self-paid
  amounts against the deductible, assistance against the cap). It is the row a settlement locks
  (SELECT ... FOR UPDATE) so two cashiers can never take the same cap twice.
- `Settlement`: one settled bill, one-stop (an institution's visit number, unique with the
  institution: the idempotency key) or from a manual reimbursement case; it keeps the bill, its
  hash, the terms applied and the exact answer given, and is reversed, never deleted.
"""
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.registry.models import Household, Person


class QualifyBy(models.TextChoices):
    ENROLLMENT = "enrollment", _("a live enrollment in a program")
    REGISTER = "register", _("the monitoring register")
    CERTIFICATION = "certification", _("a certification by hand only")


class MedicalCategory(models.Model):
    code = models.SlugField(max_length=40, verbose_name=_("code"))
    county = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))   # empty: the national default
    name_zh = models.CharField(max_length=100, verbose_name=_("name (Chinese)"))
    name_en = models.CharField(max_length=100, verbose_name=_("name (English)"))
    qualify_by = models.CharField(max_length=16, choices=QualifyBy.choices, verbose_name=_("qualifies by"))
    # The program code (enrollment) or the monitoring register's category (register).
    qualify_value = models.CharField(max_length=40, blank=True, verbose_name=_("program or register category"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    active = models.BooleanField(default=True, verbose_name=_("in use"))
    source = models.CharField(max_length=300, blank=True, verbose_name=_("source"))
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("medical assistance category")
        verbose_name_plural = _("medical assistance categories")
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="medical_category_once_per_county"),
            models.UniqueConstraint(fields=["code"], condition=Q(county__isnull=True), name="medical_category_national_once"),
        ]

    def __str__(self):
        return self.name_zh

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class CategoryTerms(models.Model):
    category_code = models.SlugField(max_length=40, verbose_name=_("category"))
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("area"))   # empty: national default
    from_year = models.PositiveSmallIntegerField(verbose_name=_("from year"))
    rate = models.DecimalField(max_digits=5, decimal_places=4, verbose_name=_("rate"))
    deductible = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                     verbose_name=_("deductible (yuan)"))
    deductible_ratio = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True,
                                           verbose_name=_("deductible (share of per-capita disposable income)"))
    annual_cap = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("annual cap (yuan)"))
    source = models.CharField(max_length=300, blank=True, verbose_name=_("source"))
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category_code", "area_id", "-from_year"]
        verbose_name = _("category terms")
        verbose_name_plural = _("category terms")
        constraints = [
            models.UniqueConstraint(fields=["category_code", "area", "from_year"], name="medical_terms_once"),
            models.UniqueConstraint(fields=["category_code", "from_year"], condition=Q(area__isnull=True),
                                    name="medical_terms_national_once"),
            models.CheckConstraint(condition=Q(rate__gt=0, rate__lte=1), name="medical_terms_rate_range"),
            models.CheckConstraint(condition=Q(annual_cap__gte=0), name="medical_terms_cap_not_negative"),
            # Exactly one way of saying the deductible.
            models.CheckConstraint(condition=(Q(deductible__isnull=False, deductible__gte=0, deductible_ratio__isnull=True)
                                              | Q(deductible__isnull=True, deductible_ratio__gte=0, deductible_ratio__lte=10)),
                                   name="medical_terms_one_deductible"),
        ]


class Certification(models.Model):
    """A person certified by hand as belonging to a category (returned to poverty, impoverished by
    illness, ...), until a day: the evidence a settlement names when no enrollment or register
    entry does."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    category_code = models.SlugField(max_length=40, verbose_name=_("category"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))  # the person's, copied
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_until = models.DateField(verbose_name=_("valid until"))
    reason = models.TextField(verbose_name=_("reason and evidence"))
    certified_by = models.CharField(max_length=150)
    certified_by_post_id = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)
    revoke_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-valid_until", "-id"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        indexes = [models.Index(fields=["person", "valid_until"], name="medical_cert_person")]
        constraints = [models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")),
                                              name="medical_cert_period")]


class InstitutionKind(models.TextChoices):
    HOSPITAL = "hospital", _("hospital")
    TOWNSHIP_CENTRE = "township_centre", _("township health centre")
    CLINIC = "clinic", _("clinic")


class Institution(models.Model):
    code = models.CharField(max_length=30, unique=True, verbose_name=_("designated institution code"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    kind = models.CharField(max_length=20, choices=InstitutionKind.choices, verbose_name=_("kind"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))  # a county or a town
    contract_from = models.DateField(verbose_name=_("contract from"))
    contract_until = models.DateField(verbose_name=_("contract until"))
    bank_name = models.CharField(max_length=100, blank=True, verbose_name=_("bank"))
    bank_account = models.CharField(max_length=32, blank=True, verbose_name=_("bank account"))
    account_name = models.CharField(max_length=200, blank=True, verbose_name=_("account name"))
    active = models.BooleanField(default=True, verbose_name=_("active"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("designated institution")
        verbose_name_plural = _("designated institutions")
        constraints = [models.CheckConstraint(condition=Q(contract_until__gte=models.F("contract_from")),
                                              name="medical_institution_contract_period")]

    def __str__(self):
        return self.name


class InstitutionKey(models.Model):
    """An institution's API key: the secret is shown once when issued; only its SHA-256 is kept
    (`core.apiauth.hash_token`). A rotated key stays valid until `expires_at` (the overlap the
    cashier system needs to switch); a revoked key stops at once."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="keys")
    prefix = models.CharField(max_length=16, verbose_name=_("key prefix"))   # shown, to tell keys apart
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class PersonYear(models.Model):
    """What has counted for a person in a year: the lock a settlement takes, and the totals it
    reads (kept equal to the sums of the person's live settlements of the year)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    eligible_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    assistance_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    settlements = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="medical_person_year_once"),
            models.CheckConstraint(condition=Q(eligible_total__gte=0, assistance_total__gte=0),
                                   name="medical_person_year_not_negative"),
        ]


class SettlementSource(models.TextChoices):
    ONE_STOP = "one_stop", _("one-stop settlement at the institution")
    MANUAL = "manual", _("manual reimbursement")


class SettlementStatus(models.TextChoices):
    SETTLED = "settled", _("settled")
    REVERSED = "reversed", _("reversed")


class Settlement(models.Model):
    source = models.CharField(max_length=10, choices=SettlementSource.choices, verbose_name=_("source"))
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="settlements", verbose_name=_("institution"))
    visit_number = models.CharField(max_length=64, verbose_name=_("visit number"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("case"))   # a manual reimbursement
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")   # the person's, at settlement
    year = models.PositiveSmallIntegerField()
    admitted_on = models.DateField(verbose_name=_("admitted"))
    discharged_on = models.DateField(verbose_name=_("discharged"))
    total_cost = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("total cost"))
    basic_insurance = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("paid by basic medical insurance"))
    critical_illness = models.DecimalField(max_digits=12, decimal_places=2,
                                           verbose_name=_("paid by critical-illness insurance"))
    eligible_self_paid = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("eligible self-paid"))
    ineligible_self_paid = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("ineligible self-paid"))
    bill_hash = models.CharField(max_length=64)   # SHA-256 of the bill as sent: a retry must match it
    category_code = models.SlugField(max_length=40, verbose_name=_("category applied"))
    rate = models.DecimalField(max_digits=5, decimal_places=4)
    deductible_applied = models.DecimalField(max_digits=12, decimal_places=2)
    assistance = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("assistance"))
    patient_pays = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("the patient pays"))
    remaining_cap = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("remaining annual cap"))
    capped = models.BooleanField(default=False, verbose_name=_("limited by the annual cap"))
    # Exactly what was answered (a retry gets it again), but for the row's id and current status,
    # which `settlements.stored_answer` adds.
    answer = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.SETTLED)
    settled_at = models.DateTimeField()
    settled_on = models.DateField()
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_on = models.DateField(null=True, blank=True)
    reversal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-settled_at", "-id"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        indexes = [models.Index(fields=["person", "year"], name="medical_settlement_person"),
                   models.Index(fields=["institution", "settled_on"], name="medical_settlement_inst_day"),
                   models.Index(fields=["area", "settled_on"], name="medical_settlement_area_day")]
        constraints = [
            models.UniqueConstraint(fields=["institution", "visit_number"], condition=Q(institution__isnull=False),
                                    name="medical_settlement_visit_once"),
            models.UniqueConstraint(fields=["case"], condition=Q(case__isnull=False, status="settled"),
                                    name="medical_settlement_case_once"),
            models.CheckConstraint(condition=Q(assistance__gte=0, total_cost__gte=0, basic_insurance__gte=0,
                                               critical_illness__gte=0, eligible_self_paid__gte=0,
                                               ineligible_self_paid__gte=0, remaining_cap__gte=0),
                                   name="medical_settlement_not_negative"),
            models.CheckConstraint(condition=Q(assistance__lte=models.F("eligible_self_paid")),
                                   name="medical_settlement_within_eligible"),
            models.CheckConstraint(condition=(Q(source="one_stop", institution__isnull=False)
                                              | Q(source="manual", case__isnull=False)),
                                   name="medical_settlement_source_named"),
        ]


from .reimbursement_models import *  # noqa: E402,F401,F403
