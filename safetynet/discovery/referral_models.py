"""Referrals to other departments' assistance (issue 17 part 3): the county's catalogue of
agencies, and each referral sent to one, with its deadline in working days and its answer.

A household (or a person not registered) has at most one open referral of a kind of agency at a
time: nobody is helped twice for the same need. Open means sent and not answered, or answered
"accepted and in progress"; the database holds the rule for registered households
(`referral_one_open_per_household_kind`), the service for everyone.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    EDUCATION = "education", _("education")
    HOUSING = "housing", _("housing")
    EMPLOYMENT = "employment", _("employment")
    DISASTER = "disaster", _("disaster relief")
    DISABILITY = "disability", _("disability")
    TRADE_UNION = "trade_union", _("trade union")
    CHARITY = "charity", _("charity")
    MEDICAL = "medical", _("medical")
    OTHER = "other", _("other")


class ReferralAgency(models.Model):
    """One department or organisation the county refers people to."""
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    kind = models.CharField(_("kind of help"), max_length=16, choices=AgencyKind.choices)
    name = models.CharField(_("name"), max_length=100)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    answer_days = models.PositiveSmallIntegerField(_("working days to answer"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("referral agency")
        verbose_name_plural = _("referral agencies")
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="referral_agency_unique_name"),
            models.CheckConstraint(condition=Q(answer_days__gte=1, answer_days__lte=60), name="referral_agency_days"),
        ]

    def __str__(self):
        return self.name


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("sent, waiting for the answer")
    ANSWERED = "answered", _("answered")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ReferralAnswer(models.TextChoices):
    HELPED = "helped", _("helped")
    IN_PROGRESS = "in_progress", _("accepted, in progress")
    DECLINED = "declined", _("declined")
    NOT_THEIRS = "not_theirs", _("not theirs to help")


# Answers that leave the need unmet (the chain marks it open unless another help of the kind followed).
UNMET_ANSWERS = (ReferralAnswer.DECLINED, ReferralAnswer.NOT_THEIRS)
OPEN_REFERRAL = Q(status=ReferralStatus.SENT) | Q(status=ReferralStatus.ANSWERED, answer=ReferralAnswer.IN_PROGRESS)


class Referral(models.Model):
    lead = models.ForeignKey("discovery.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals",
                             verbose_name=_("lead"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="referrals", verbose_name=_("household"))
    name = models.CharField(_("name"), max_length=50, blank=True)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    agency = models.ForeignKey(ReferralAgency, on_delete=models.PROTECT, related_name="referrals",
                               verbose_name=_("agency"))
    kind = models.CharField(_("kind of help"), max_length=16, choices=AgencyKind.choices)   # the agency's, when sent
    need = models.TextField(_("the need"))
    sent_on = models.DateField(_("sent on"))
    due_on = models.DateField(_("answer due"))
    sent_at = models.DateTimeField(_("sent at"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    answer = models.CharField(_("answer"), max_length=16, choices=ReferralAnswer.choices, blank=True)
    answer_note = models.CharField(_("answer note"), max_length=500, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)     # the business date
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    withdrawn_reason = models.CharField(_("why withdrawn"), max_length=500, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["area", "status"], name="referral_area_status"),
                   models.Index(fields=["status", "due_on"], name="referral_status_due")]
        constraints = [
            models.UniqueConstraint(fields=["household", "kind"], condition=OPEN_REFERRAL & Q(household__isnull=False),
                                    name="referral_one_open_per_household_kind"),
            models.CheckConstraint(condition=Q(household__isnull=False) | ~Q(name=""), name="referral_names_someone"),
        ]

    def __str__(self):
        return f"{self.number} {self.agency_id}"

    @property
    def number(self) -> str:
        return f"R{self.pk:06d}" if self.pk else "R—"

    @property
    def is_open(self) -> bool:
        return self.status == ReferralStatus.SENT or (self.status == ReferralStatus.ANSWERED
                                                      and self.answer == ReferralAnswer.IN_PROGRESS)
