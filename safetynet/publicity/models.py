"""The pre-confirmation public notice and the objections it draws (POLICY.md §1 step 5, §7).

A notice holds only what may be shown in public, already masked when it is written: the
applicant's name as surname plus one character, the number of members and the amount.
No ID number, address or health information is ever stored here, so no page or board built
on this table can leak them.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class NoticeStatus(models.TextChoices):
    POSTED = "posted", _("posted")
    CLOSED = "closed", _("closed")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ObjectionState(models.TextChoices):
    """What the board says of a notice someone objected to (MLG-2021 art. 19): under objection
    until the town answers, then the answer's outcome until the notice is posted again."""

    NONE = "", _("no objection")
    UNDER_OBJECTION = "under_objection", _("objection raised, being verified")
    UPHELD = "upheld", _("objection upheld: the town reviews the application again")
    NOT_UPHELD = "not_upheld", _("objection not upheld: the notice will be posted again")


class ObjectionFinding(models.TextChoices):
    UPHELD = "upheld", _("upheld: the objection is founded")
    NOT_UPHELD = "not_upheld", _("not upheld: the facts are as notified")


class Notice(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notices", verbose_name=_("case"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    program_code = models.CharField(max_length=32, verbose_name=_("program"))
    masked_name = models.CharField(max_length=50, verbose_name=_("name"))
    members_count = models.PositiveSmallIntegerField(verbose_name=_("members"))
    monthly_amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("proposed monthly amount"))
    starts_on = models.DateField(verbose_name=_("from"))
    ends_on = models.DateField(verbose_name=_("to (last day)"))
    status = models.CharField(max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.POSTED, verbose_name=_("status"))
    objection_state = models.CharField(max_length=16, choices=ObjectionState.choices, blank=True, default="",
                                       verbose_name=_("objection"))
    republished = models.BooleanField(default=False, verbose_name=_("posted again after an objection"))
    posted_by = models.CharField(max_length=150)
    posted_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="posted"), name="notice_one_posted_per_case"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="notice_ends_after_start"),
        ]
        indexes = [models.Index(fields=["area", "status", "ends_on"], name="notice_area_status_idx")]


class Objection(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="objections", verbose_name=_("notice"))
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="objections", verbose_name=_("case"))
    received_on = models.DateField(verbose_name=_("received on"))
    objector_name = models.CharField(max_length=50, blank=True, verbose_name=_("from (may be anonymous)"))
    objector_contact = models.CharField(max_length=50, blank=True, verbose_name=_("contact"))
    content = models.TextField(verbose_name=_("objection"))
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)
    resolution = models.CharField(max_length=16, blank=True)   # "resurvey" | "deliberation"
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The town's answer once it has re-surveyed or deliberated (cases.services.answer_objection).
    finding = models.CharField(max_length=16, choices=ObjectionFinding.choices, blank=True, verbose_name=_("finding"))
    answer = models.TextField(blank=True, verbose_name=_("answer to the objector"))
    answered_by = models.CharField(max_length=150, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notice_id", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
