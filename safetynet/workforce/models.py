"""The people who handle or supervise assistance, and village committee members
(POLICY.md §1 step 2: their close relatives' applications are filed separately).

A `StaffIdentity` is a person, not a login: village committee members often have no account,
and a staff member's identity (the ID number) is what kinship in the registry is matched
against. `user` links the identity to a login when there is one, so the workflow can tell
that the user confirming a case is the related staff member.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.registry.models import KinshipRelation


class StaffKind(models.TextChoices):
    COUNTY_STAFF = "county_staff", _("county staff")
    TOWN_STAFF = "town_staff", _("town staff")
    VILLAGE_COMMITTEE = "village_committee", _("village committee member")
    GRID_WORKER = "grid_worker", _("grid worker")


class StaffIdentity(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="staff_identities", verbose_name=_("login"))
    name = models.CharField(max_length=50, verbose_name=_("name"))
    id_number = models.CharField(max_length=18, db_index=True, verbose_name=_("ID number"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("works at"))
    kind = models.CharField(max_length=20, choices=StaffKind.choices, verbose_name=_("kind"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    # Where the work subsidies are paid (funding; issue 19 part 3). Empty: paid as "no account".
    bank_account = models.CharField(max_length=32, blank=True, verbose_name=_("bank account"))
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["area_id", "name"]
        verbose_name = _("staff identity")
        verbose_name_plural = _("staff identities")
        constraints = [
            # One active identity per person: the close-relative check looks people up by number.
            models.UniqueConstraint(fields=["id_number"], condition=models.Q(is_active=True),
                                    name="staffidentity_one_active_per_person"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def town_code(self) -> str:
        """The town whose posts may not confirm a relative's case ("" for county staff: only the
        staff member himself is excluded there, the county visit being the safeguard)."""
        return self.area_id[:9] if len(self.area_id) >= 9 else ""


class DeclaredRelative(models.Model):
    """A close relative a staff member or village cadre declared (POLICY.md §1 step 2; MLG-2021
    art. 11). `relative` is the staff member's <relation>, read as `registry.Kinship` reads.

    Kept here, below cases, because acceptance-time detection (`cases.closerelatives`) counts an
    active declaration as it counts a registry kinship link; withdrawn declarations are kept for
    history and no longer matched."""

    staff_identity = models.ForeignKey(StaffIdentity, on_delete=models.PROTECT, related_name="declared_relatives",
                                       verbose_name=_("staff member"))
    # Copied from the staff identity, so the register is scoped by one indexed prefix like the rest.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("works at"))
    name = models.CharField(max_length=50, verbose_name=_("relative's name"))
    id_number = models.CharField(max_length=18, db_index=True, verbose_name=_("relative's ID number"))
    relation = models.CharField(max_length=16, choices=KinshipRelation.choices, verbose_name=_("relation"))
    declared_on = models.DateField(verbose_name=_("declared on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))
    is_active = models.BooleanField(default=True, verbose_name=_("in force"))
    withdrawn_on = models.DateField(null=True, blank=True, verbose_name=_("withdrawn on"))
    withdrawn_reason = models.CharField(max_length=200, blank=True, verbose_name=_("why withdrawn"))

    class Meta:
        ordering = ["area_id", "staff_identity_id", "id"]
        verbose_name = _("declared close relative")
        verbose_name_plural = _("declared close relatives")
        constraints = [
            # A relative is declared once per staff member while the declaration is in force.
            models.UniqueConstraint(fields=["staff_identity", "id_number"], condition=models.Q(is_active=True),
                                    name="declaredrelative_once_in_force"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_relation_display()})"
