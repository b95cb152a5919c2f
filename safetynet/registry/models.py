"""Households, their members, kinship between people, and declared income and assets
(POLICY.md §1 income and asset categories, §8 ID numbers)."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class RegistrationType(models.TextChoices):
    URBAN = "urban", _("urban")
    RURAL = "rural", _("rural")


class Sex(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class RelationToHead(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    CHILD_IN_LAW = "child_in_law", _("son- or daughter-in-law")
    GRANDCHILD = "grandchild", _("grandchild")
    PARENT = "parent", _("parent")
    PARENT_IN_LAW = "parent_in_law", _("parent-in-law")
    GRANDPARENT = "grandparent", _("grandparent")
    SIBLING = "sibling", _("sibling")
    OTHER = "other", _("other relative")


class DisabilityType(models.TextChoices):
    PHYSICAL = "physical", _("physical")
    INTELLECTUAL = "intellectual", _("intellectual")
    MENTAL = "mental", _("mental")
    VISUAL = "visual", _("visual")
    HEARING = "hearing", _("hearing")
    SPEECH = "speech", _("speech")
    MULTIPLE = "multiple", _("multiple")


class WorkAbility(models.TextChoices):
    FULL = "full", _("able to work")
    PARTIAL = "partial", _("partly able to work")
    NONE = "none", _("unable to work")


class KinshipRelation(models.TextChoices):
    """Close relatives as POLICY.md §1 step 2 lists them, read "relative is the person's …"."""

    SPOUSE = "spouse", _("spouse")
    PARENT = "parent", _("parent")
    CHILD = "child", _("child")
    SIBLING = "sibling", _("sibling")
    GRANDPARENT = "grandparent", _("grandparent")
    GRANDCHILD = "grandchild", _("grandchild")


INVERSE_KINSHIP = {
    KinshipRelation.SPOUSE: KinshipRelation.SPOUSE,
    KinshipRelation.PARENT: KinshipRelation.CHILD,
    KinshipRelation.CHILD: KinshipRelation.PARENT,
    KinshipRelation.SIBLING: KinshipRelation.SIBLING,
    KinshipRelation.GRANDPARENT: KinshipRelation.GRANDCHILD,
    KinshipRelation.GRANDCHILD: KinshipRelation.GRANDPARENT,
}


class IncomeCategory(models.TextChoices):
    """Declared monthly income by MLG-2021 art. 13 (POLICY.md §1). The `excluded_*` kinds are
    recorded so the survey sees them, and the rules do not count them."""

    WAGES = "wages", _("wages (net of job costs)")
    BUSINESS = "business", _("net business income")
    PROPERTY = "property", _("net property income")
    SUPPORT = "support", _("support from relatives")
    PENSION = "pension", _("pension")
    UNEMPLOYMENT = "unemployment", _("unemployment benefit")
    COMPENSATION = "compensation", _("compensation")
    GIFTS = "gifts", _("gifts and other transfers")
    EXCLUDED_VETERAN = "excluded_veteran", _("preferential-care payments (not counted)")
    EXCLUDED_FAMILY_PLANNING = "excluded_family_planning", _("family-planning awards (not counted)")
    EXCLUDED_SCHOLARSHIP = "excluded_scholarship", _("scholarships (not counted)")
    EXCLUDED_BRAVERY = "excluded_bravery", _("bravery awards (not counted)")
    EXCLUDED_ASSISTANCE = "excluded_assistance", _("government assistance payments (not counted)")
    EXCLUDED_BASIC_PENSION = "excluded_basic_pension", _("central basic pension for residents (not counted)")


def income_counts(category: str) -> bool:
    """Whether MLG-2021 art. 13 counts a declared income of this kind (POLICY.md §1): every kind but
    the `excluded_*` ones. The one rule the registry, the case snapshot and its pages, the re-check
    clock, the simulation and the re-assessment read."""
    return not str(category).startswith("excluded_")


# The kinds not counted, in their declared order (SQL `NOT IN` lists and `.exclude(category__in=...)`).
EXCLUDED_INCOME = tuple(c for c in IncomeCategory.values if not income_counts(c))


class AssetCategory(models.TextChoices):
    """Assets by MLG-2021 art. 14 (POLICY.md §1)."""

    DEPOSIT = "deposit", _("bank deposits")
    SECURITIES = "securities", _("securities")
    FUNDS = "funds", _("funds")
    INSURANCE = "insurance", _("commercial insurance")
    CLAIMS = "claims", _("claims")
    ONLINE_FINANCE = "online_finance", _("online finance")
    VEHICLE = "vehicle", _("motor vehicle")
    MOBILITY_VEHICLE = "mobility_vehicle", _("mobility vehicle, motorcycle or e-bike")
    HOME = "home", _("home")
    NON_RESIDENTIAL = "non_residential", _("non-residential property")
    BUSINESS = "business", _("registered business")


FINANCIAL_ASSETS = {AssetCategory.DEPOSIT, AssetCategory.SECURITIES, AssetCategory.FUNDS, AssetCategory.INSURANCE,
                    AssetCategory.CLAIMS, AssetCategory.ONLINE_FINANCE}


class Household(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="households", verbose_name=_("registered area"))
    address = models.CharField(max_length=200, verbose_name=_("address"))
    registration_type = models.CharField(max_length=8, choices=RegistrationType.choices, verbose_name=_("household registration"))
    head = models.OneToOneField("Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("head of household"))
    phone = models.CharField(max_length=20, blank=True, verbose_name=_("phone"))
    bank_account = models.CharField(max_length=32, blank=True, verbose_name=_("bank account (social-security card)"))
    external_ref = models.CharField(max_length=64, blank=True, db_index=True, verbose_name=_("roster reference"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        # The address search (registry/selectors.py) reads this narrow index over the scope's
        # code range instead of the table: a substring cannot use an index, but it can scan one.
        indexes = [models.Index(fields=["area", "address"], name="household_area_address")]

    def __str__(self):
        return f"#{self.pk} {self.address}"


class Person(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("household"))
    # The household's area, copied so that scope and counts need no join (kept equal by services).
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered area"))
    name = models.CharField(max_length=50, db_index=True, verbose_name=_("name"))
    id_number = models.CharField(max_length=18, unique=True, verbose_name=_("ID number"))
    sex = models.CharField(max_length=8, choices=Sex.choices, verbose_name=_("sex"))
    birth_date = models.DateField(verbose_name=_("birth date"))
    relation_to_head = models.CharField(max_length=16, choices=RelationToHead.choices, verbose_name=_("relation to head"))
    disability_type = models.CharField(max_length=16, choices=DisabilityType.choices, blank=True, verbose_name=_("disability type"))
    disability_grade = models.PositiveSmallIntegerField(null=True, blank=True, choices=[(g, str(g)) for g in range(1, 5)], verbose_name=_("disability grade"))
    serious_illness = models.BooleanField(default=False, verbose_name=_("serious illness"))
    work_ability = models.CharField(max_length=8, choices=WorkAbility.choices, default=WorkAbility.FULL, verbose_name=_("ability to work"))
    phone = models.CharField(max_length=20, blank=True, verbose_name=_("phone"))
    is_deceased = models.BooleanField(default=False, verbose_name=_("deceased"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # Covering indexes for the registry search (registry/selectors.py): a name or ID-number
        # prefix range answers "which households, in which area" from the index alone.
        indexes = [
            models.Index(fields=["name", "area", "household"], name="person_name_area_household"),
            models.Index(fields=["id_number", "area", "household"], name="person_idnum_area_household"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(disability_type="") & models.Q(disability_grade__isnull=True))
                | (~models.Q(disability_type="") & models.Q(disability_grade__gte=1, disability_grade__lte=4)),
                name="person_disability_type_and_grade_together",
            ),
        ]

    def __str__(self):
        return self.name


class Kinship(models.Model):
    """`relative` is `person`'s <relation>. Stored in both directions so either side finds it;
    used for close-relative detection (POLICY.md §1 step 2) across households."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="kinships", verbose_name=_("person"))
    relative = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("relative"))
    relation = models.CharField(max_length=16, choices=KinshipRelation.choices, verbose_name=_("relation"))

    class Meta:
        verbose_name = _("kinship")
        verbose_name_plural = _("kinships")
        constraints = [
            models.UniqueConstraint(fields=["person", "relative"], name="kinship_unique_pair"),
            models.CheckConstraint(condition=~models.Q(person=models.F("relative")), name="kinship_not_self"),
        ]


class IncomeItem(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="income_items", verbose_name=_("household"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="income_items", verbose_name=_("member"))
    category = models.CharField(max_length=32, choices=IncomeCategory.choices, verbose_name=_("category"))
    monthly_amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("monthly amount"))
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("declared income item")
        verbose_name_plural = _("declared income items")
        constraints = [models.CheckConstraint(condition=models.Q(monthly_amount__gte=0), name="income_amount_not_negative")]


class Asset(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assets", verbose_name=_("household"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="assets", verbose_name=_("member"))
    category = models.CharField(max_length=32, choices=AssetCategory.choices, verbose_name=_("category"))
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("value"))
    quantity = models.PositiveIntegerField(default=1, verbose_name=_("quantity"))
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    is_exempt = models.BooleanField(default=False, verbose_name=_("exempt as a necessity"))

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("declared asset")
        verbose_name_plural = _("declared assets")
        constraints = [models.CheckConstraint(condition=models.Q(value__gte=0), name="asset_value_not_negative")]
