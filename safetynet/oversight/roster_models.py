"""The village roster and its monthly changes, posted on the public board (issue 18 part 1).

After confirmation the village shows who receives assistance: the name, the number of household
members and the amount, nothing unrelated (MLG-2021 art. 24; POLICY.md §7: names masked to the
surname plus one character), and each month's additions and removals are noticed too. A posting
is a record: the village, the month, what kind of list, the notice period (`board_notice_days`)
and who posted it; its rows are written already masked, as a pre-confirmation notice is
(publicity.Notice), so no page or board built on these tables can show an ID number, an address,
a health fact or a full name.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class BoardKind(models.TextChoices):
    ROSTER = "roster", _("roster of recipients")
    CHANGES = "changes", _("additions and removals of the month")


class BoardChange(models.TextChoices):
    NONE = "", _("on the roster")
    ADDED = "added", _("added")
    REMOVED = "removed", _("removed")


class BoardPosting(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    month = models.DateField(verbose_name=_("month"))        # the first day of the month
    kind = models.CharField(max_length=8, choices=BoardKind.choices, verbose_name=_("list"))
    starts_on = models.DateField(verbose_name=_("posted from"))
    ends_on = models.DateField(verbose_name=_("posted to (last day)"))
    rows_count = models.PositiveIntegerField(default=0, verbose_name=_("rows"))
    posted_by = models.CharField(max_length=150, verbose_name=_("posted by"))
    posted_at = models.DateTimeField(verbose_name=_("posted at"))

    class Meta:
        ordering = ["-month", "area_id", "kind"]
        verbose_name = _("board posting")
        verbose_name_plural = _("board postings")
        constraints = [
            models.UniqueConstraint(fields=["area", "month", "kind"], name="boardposting_one_per_village_month_kind"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="boardposting_ends_after_start"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="boardposting_month_first_day"),
        ]

    def __str__(self):
        return f"{self.area_id} {self.month:%Y-%m} {self.kind}"


class BoardRow(models.Model):
    """One line of a posting, as the public sees it (masked when written)."""

    posting = models.ForeignKey(BoardPosting, on_delete=models.CASCADE, related_name="rows", verbose_name=_("posting"))
    position = models.PositiveIntegerField(verbose_name=_("No."))
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("enrollment"))
    change = models.CharField(max_length=8, choices=BoardChange.choices, blank=True, default="", verbose_name=_("change"))
    program_code = models.CharField(max_length=32, verbose_name=_("program"))
    masked_name = models.CharField(max_length=50, verbose_name=_("name"))
    members_count = models.PositiveSmallIntegerField(verbose_name=_("members"))
    monthly_amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("monthly amount"))

    class Meta:
        ordering = ["posting_id", "position"]
        verbose_name = _("board row")
        verbose_name_plural = _("board rows")
        constraints = [models.UniqueConstraint(fields=["posting", "position"], name="boardrow_one_per_position")]
