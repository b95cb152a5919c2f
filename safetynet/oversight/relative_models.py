"""Close-relative filings found by the sweep (issue 18 part 3; POLICY.md §1 step 2).

One row per (case, enrollment, staff member, member of the household): every application and
enrollment of a household with a member who is staff or a close relative of staff (declared or
in the registry), old ones included. `at_acceptance` says whether the case was filed separately
when it was accepted (`Case.is_close_relative`) or only found later, which is what the county
looks at first. `key` makes a second sweep add nothing it already filed.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.registry.models import KinshipRelation


class CloseRelativeFiling(models.Model):
    key = models.CharField(max_length=80, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("application"))
    enrollment = models.ForeignKey("enrollments.Enrollment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("enrollment"))
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("household"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    member = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("member of the household"))
    staff_identity = models.ForeignKey("workforce.StaffIdentity", on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("staff member"))
    relation = models.CharField(max_length=16, verbose_name=_("the staff member is the member's"))
    at_acceptance = models.BooleanField(verbose_name=_("filed at acceptance"))
    found_on = models.DateField(verbose_name=_("found on"))

    class Meta:
        # Found later first: those are what the county did not know.
        ordering = ["at_acceptance", "-found_on", "area_id", "case_id", "id"]
        verbose_name = _("close-relative filing")
        verbose_name_plural = _("close-relative filings")
        indexes = [models.Index(fields=["area", "at_acceptance"], name="closerelfiling_area_idx")]

    @property
    def relation_label(self) -> str:
        """The staff member's relation to the member, in words ("self": the member is staff)."""
        try:
            return str(KinshipRelation(self.relation).label)
        except ValueError:
            return ""
