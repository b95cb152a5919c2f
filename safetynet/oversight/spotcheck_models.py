"""Spot checks (issue 18 part 4): a county's campaign, its recorded frame and seed, and the items
it drew, each with its re-visit and verdict.

The frame (every member of the population with its town, risk weight and mandatory reason) is kept
on the campaign with its SHA-256, so the draw can be repeated from what was recorded
(`spotchecks.redraw`), whatever has happened to the cases and enrollments since.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class SizeMethod(models.TextChoices):
    RATIO = "ratio", _("a share of the population")
    CONFIDENCE = "confidence", _("a confidence level and margin of error")


class ConfirmedBy(models.TextChoices):
    TOWN = "town", _("confirmed by the town (delegated)")
    ANY = "any", _("every confirmed case")


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("re-visits under way")
    FINISHED = "finished", _("finished")


class SpotCheckCampaign(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    programs = models.JSONField(default=list, verbose_name=_("programs"))
    include_cases = models.BooleanField(default=True, verbose_name=_("confirmed cases"))
    confirmed_by = models.CharField(max_length=8, choices=ConfirmedBy.choices, default=ConfirmedBy.TOWN,
                                    verbose_name=_("cases confirmed by"))
    period_from = models.DateField(null=True, blank=True, verbose_name=_("decided from"))
    period_to = models.DateField(null=True, blank=True, verbose_name=_("decided until"))
    include_enrollments = models.BooleanField(default=True, verbose_name=_("live enrollments"))
    size_method = models.CharField(max_length=12, choices=SizeMethod.choices, default=SizeMethod.RATIO,
                                   verbose_name=_("sample size by"))
    ratio = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True, verbose_name=_("share"))
    confidence = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True,
                                     verbose_name=_("confidence level"))
    margin = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True, verbose_name=_("margin of error"))
    seed = models.CharField(max_length=40, verbose_name=_("random seed"))
    population_size = models.PositiveIntegerField(default=0, verbose_name=_("population"))
    drawn_size = models.PositiveIntegerField(default=0, verbose_name=_("drawn"))
    mandatory_size = models.PositiveIntegerField(default=0, verbose_name=_("taken in any case"))
    allocation = models.JSONField(default=dict, blank=True, verbose_name=_("drawn by town"))
    frame = models.JSONField(default=list, blank=True)      # [[key, town, weight, mandatory], ...] in key order
    frame_hash = models.CharField(max_length=64, verbose_name=_("fingerprint of the population"))
    parameters = models.JSONField(default=dict, blank=True)  # the thresholds and weights in force
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.OPEN,
                              verbose_name=_("status"))
    started_on = models.DateField(verbose_name=_("started on"))
    finished_on = models.DateField(null=True, blank=True, verbose_name=_("finished on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("spot-check campaign")
        verbose_name_plural = _("spot-check campaigns")
        constraints = [
            models.CheckConstraint(condition=models.Q(include_cases=True) | models.Q(include_enrollments=True),
                                   name="spotcheck_campaign_has_population"),
        ]

    def __str__(self):
        return self.name


class ItemReason(models.TextChoices):
    DRAWN = "drawn", _("drawn")
    CLOSE_RELATIVE = "close_relative", _("close-relative filing")
    COMPLAINT = "complaint", _("complained about")


class Verdict(models.TextChoices):
    CORRECT = "correct", _("correct")
    SHOULD_NOT_RECEIVE = "should_not_receive", _("should not receive assistance")
    AMOUNT_WRONG = "amount_wrong", _("amount wrong")
    HELP_MORE = "help_more", _("should have been helped more")
    HELP_LESS = "help_less", _("should have been helped less")
    PROCEDURE_INCOMPLETE = "procedure_incomplete", _("procedure incomplete")


WRONG_VERDICTS = tuple(v for v in Verdict.values if v != Verdict.CORRECT)


class SpotCheckItem(models.Model):
    """A sampled case or enrollment, its re-visit and its verdict. A wrong verdict opens a control
    complaint (`complaint`, source key `spot_check:<id>`), so what was found has an owner."""

    campaign = models.ForeignKey(SpotCheckCampaign, on_delete=models.CASCADE, related_name="items",
                                 verbose_name=_("campaign"))
    key = models.CharField(max_length=40)          # "case:<id>" or "enrollment:<id>", as in the frame
    position = models.PositiveIntegerField()       # order in the draw
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("case"))
    enrollment = models.ForeignKey("enrollments.Enrollment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("enrollment"))
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("household"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    town = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("town"))
    program = models.CharField(max_length=32, verbose_name=_("program"))
    worker = models.CharField(max_length=150, blank=True, verbose_name=_("worker"))
    reason = models.CharField(max_length=16, choices=ItemReason.choices, verbose_name=_("why sampled"))
    weight = models.FloatField(default=1.0, verbose_name=_("risk weight"))
    risks = models.JSONField(default=list, blank=True, verbose_name=_("risks"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("monthly amount"))
    visited_on = models.DateField(null=True, blank=True, verbose_name=_("re-visited on"))
    visitors = models.CharField(max_length=200, blank=True, verbose_name=_("visitors"))
    found = models.TextField(blank=True, verbose_name=_("what was found"))
    verdict = models.CharField(max_length=24, choices=Verdict.choices, blank=True, verbose_name=_("verdict"))
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    complaint = models.ForeignKey("oversight.Complaint", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("complaint opened"))

    class Meta:
        ordering = ["campaign_id", "position"]
        verbose_name = _("spot-check item")
        verbose_name_plural = _("spot-check items")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="spotcheck_item_once_per_campaign"),
            models.CheckConstraint(condition=models.Q(case__isnull=False) | models.Q(enrollment__isnull=False),
                                   name="spotcheck_item_has_object"),
        ]
        indexes = [models.Index(fields=["campaign", "town", "verdict"], name="spotcheck_item_town_idx")]

    @property
    def is_wrong(self) -> bool:
        return self.verdict in WRONG_VERDICTS
