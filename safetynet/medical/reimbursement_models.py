"""The bill of a manual medical reimbursement (issue 20 part 4; POLICY.md §4): a bill the patient
paid in full because it was not settled at a designated institution's cashier (a hospital that is
not designated, another province, before the person's enrollment), applied for through the cases
machinery (program "medical"). One bill per case; the receipts are the case's attachments; the
case's decision settles it through `settlements.settle_manual`, the one way assistance is granted.

The five amounts are the cashier's (`settlements.read_bill`): the parts add up to the total, which
the database checks too.
"""
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.registry.models import Household, Person

__all__ = ["NotSettledBecause", "ReimbursementBill"]


class NotSettledBecause(models.TextChoices):
    """Why the bill was not settled at the cashier (and so comes as an application)."""

    NOT_DESIGNATED = "not_designated", _("the hospital is not a designated institution")
    OUT_OF_PROVINCE = "out_of_province", _("treated in another province")
    BEFORE_ENROLLMENT = "before_enrollment", _("treated before the person qualified")
    OTHER = "other", _("other")


class ReimbursementBill(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("case"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("patient"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")   # the case's (scope)
    treated_at = models.CharField(max_length=200, verbose_name=_("where treated"))
    not_settled_because = models.CharField(max_length=20, choices=NotSettledBecause.choices,
                                           verbose_name=_("why not settled at the cashier"))
    admitted_on = models.DateField(verbose_name=_("admitted"))
    discharged_on = models.DateField(verbose_name=_("discharged"))
    total_cost = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("total cost"))
    basic_insurance_paid = models.DecimalField(max_digits=12, decimal_places=2,
                                               verbose_name=_("paid by basic medical insurance"))
    critical_illness_paid = models.DecimalField(max_digits=12, decimal_places=2,
                                                verbose_name=_("paid by critical-illness insurance"))
    eligible_self_paid = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("eligible self-paid"))
    ineligible_self_paid = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("ineligible self-paid"))
    filed_by = models.CharField(max_length=150)
    filed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("reimbursement bill")
        verbose_name_plural = _("reimbursement bills")
        indexes = [models.Index(fields=["area", "discharged_on"], name="medical_reimb_area_day")]
        constraints = [
            models.CheckConstraint(condition=Q(discharged_on__gte=F("admitted_on")), name="medical_reimb_dates_in_order"),
            models.CheckConstraint(condition=Q(basic_insurance_paid__gte=0, critical_illness_paid__gte=0,
                                               eligible_self_paid__gte=0, ineligible_self_paid__gte=0),
                                   name="medical_reimb_not_negative"),
            # That the parts add up to the total is `settlements.read_bill`'s to say, not a check
            # constraint's: SQLite keeps decimals as floating point, where an exact bill such as
            # 5521.70 + 1431.22 + ... can miss its total by a float's last digit (the demo's bills did).
        ]

    def __str__(self):
        return f"{self.treated_at} {self.discharged_on}"

    def bill_data(self) -> dict:
        """The bill in the shape `settlements.read_bill` reads (its visit number is the case's)."""
        return {"visit_number": f"CASE-{self.case_id or 'NEW'}", "admitted_on": self.admitted_on.isoformat(),
                "discharged_on": self.discharged_on.isoformat(),
                **{name: f"{getattr(self, name):.2f}" for name in (
                    "total_cost", "basic_insurance_paid", "critical_illness_paid", "eligible_self_paid",
                    "ineligible_self_paid")}}
