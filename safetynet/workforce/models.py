"""The people who handle or supervise assistance, and village committee members
(POLICY.md §1 step 2: their close relatives' applications are filed separately).

A `StaffIdentity` is a person, not a login: village committee members often have no account,
and a staff member's identity (the ID number) is what kinship in the registry is matched
against. `user` links the identity to a login when there is one, so the workflow can tell
that the user confirming a case is the related staff member.

It is also the staff register of issue 19: `kind` says at which level the person works (county,
town, village committee, grid), `employment` on what footing (civil servant, contracted
assistant, village cadre, grid worker, a provider's worker), which sets the training hours owed
each year (`training_hours_<employment>`, WORKFORCE) and, with `full_time_share`, how much of a
worker the staffing norm counts.
"""
import datetime as dt

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


class Employment(models.TextChoices):
    CIVIL_SERVANT = "civil_servant", _("civil servant")
    CONTRACTED_ASSISTANT = "contracted_assistant", _("contracted assistant")
    VILLAGE_CADRE = "village_cadre", _("village cadre")
    GRID_WORKER = "grid_worker", _("grid worker")
    PROVIDER_WORKER = "provider_worker", _("provider's worker")


# The footing a person of each kind is usually on: what a registration without one is given, and
# what migration 0006 gave the rows registered before employment was kept.
EMPLOYMENT_OF_KIND = {
    StaffKind.COUNTY_STAFF: Employment.CIVIL_SERVANT,
    StaffKind.TOWN_STAFF: Employment.CIVIL_SERVANT,
    StaffKind.VILLAGE_COMMITTEE: Employment.VILLAGE_CADRE,
    StaffKind.GRID_WORKER: Employment.GRID_WORKER,
}
# The footings each kind may be on: a county or town office employs civil servants, contracted
# assistants and a provider's workers; a village committee member is a village cadre (or an
# assistant or provider's worker placed at the village); a grid is kept by a grid worker (or by a
# contracted assistant or a provider's worker doing the grid's rounds).
EMPLOYMENTS_OF_KIND = {
    StaffKind.COUNTY_STAFF: (Employment.CIVIL_SERVANT, Employment.CONTRACTED_ASSISTANT, Employment.PROVIDER_WORKER),
    StaffKind.TOWN_STAFF: (Employment.CIVIL_SERVANT, Employment.CONTRACTED_ASSISTANT, Employment.PROVIDER_WORKER),
    StaffKind.VILLAGE_COMMITTEE: (Employment.VILLAGE_CADRE, Employment.CONTRACTED_ASSISTANT, Employment.PROVIDER_WORKER),
    StaffKind.GRID_WORKER: (Employment.GRID_WORKER, Employment.CONTRACTED_ASSISTANT, Employment.PROVIDER_WORKER),
}


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
    # The register (issue 19 part 1). `employment` is always set by the register's service (from the
    # kind when not given); empty only on a row made around it, which the training figures show as
    # "employment not stated".
    employment = models.CharField(max_length=24, choices=Employment.choices, blank=True, db_index=True,
                                  verbose_name=_("employment"))
    post_title = models.CharField(max_length=50, blank=True, verbose_name=_("post title"))
    birth_date = models.DateField(null=True, blank=True, verbose_name=_("birth date"))   # from the ID number
    full_time_share = models.DecimalField(max_digits=3, decimal_places=2, default=1, verbose_name=_("share of full time"))
    joined_on = models.DateField(null=True, blank=True, verbose_name=_("joined on"))
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
            models.CheckConstraint(condition=models.Q(full_time_share__gte=0, full_time_share__lte=1),
                                   name="staffidentity_share_within_one"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def age_on(self, day: dt.date) -> int | None:
        """Whole years of age on `day` (None when the birth date is not known)."""
        if self.birth_date is None:
            return None
        return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

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


class Qualification(models.Model):
    """A certificate a staff member holds (社会工作者职业资格, 助理社会工作师...): it counts as
    experience for mentoring (`mentoring.may_mentor`) and is shown on the register."""

    staff_identity = models.ForeignKey(StaffIdentity, on_delete=models.PROTECT, related_name="qualifications",
                                       verbose_name=_("staff member"))
    # Copied from the staff identity, so the qualifications are scoped by one indexed prefix.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("works at"))
    name = models.CharField(max_length=100, verbose_name=_("qualification"))
    level = models.CharField(max_length=50, blank=True, verbose_name=_("level"))
    certificate_number = models.CharField(max_length=50, blank=True, verbose_name=_("certificate number"))
    obtained_on = models.DateField(verbose_name=_("obtained on"))
    expires_on = models.DateField(null=True, blank=True, verbose_name=_("expires on"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["staff_identity_id", "-obtained_on", "id"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        constraints = [
            models.UniqueConstraint(fields=["staff_identity", "name", "level"], name="qualification_once_per_person"),
            models.CheckConstraint(condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gt=models.F("obtained_on")),
                                   name="qualification_expires_after_obtained"),
        ]

    def __str__(self):
        return f"{self.name} {self.level}".strip()

    def valid_on(self, day: dt.date) -> bool:
        return self.obtained_on <= day and (self.expires_on is None or day < self.expires_on)


from .training_models import MentoringPair, TrainingAttendance, TrainingCourse, TrainingSession  # noqa: E402,F401
