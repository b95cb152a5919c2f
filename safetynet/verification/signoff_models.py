"""A county officer's sign-off of a household's verification report (POLICY.md §5; issue 4,
part 4): who signed which result, when, with what note. One per result, audited
(reports.sign_off_report); the report reads as signed from then on. `coverage` keeps, per dataset,
what the report knew when it was signed (coverage.DatasetCoverage.as_dict), with the officer's
reason for each dataset that was missing or out of date."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportSignOff(models.Model):
    result = models.OneToOneField("verification.HouseholdResult", on_delete=models.CASCADE, related_name="sign_off",
                                  verbose_name=_("household verification result"))
    signed_by = models.CharField(max_length=150, verbose_name=_("signed by"))
    signed_name = models.CharField(max_length=150, blank=True)
    signed_role = models.CharField(max_length=32, blank=True)
    signed_area = models.CharField(max_length=18, blank=True)
    signed_at = models.DateTimeField(verbose_name=_("signed at"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    coverage = models.JSONField(default=list, blank=True, verbose_name=_("department data covered"))

    class Meta:
        verbose_name = _("report sign-off")
        verbose_name_plural = _("report sign-offs")

    def __str__(self):
        return f"{self.result_id} {self.signed_by}"
