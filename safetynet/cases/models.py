"""Applications and everything recorded along their way (POLICY.md §1–3; DESIGN.md §2).

A `Case` is one application for one program, from filing to decision. Its `status` moves only
through `cases.workflow.transition` (DESIGN.md §8 rule 4), which also keeps `version` (optimistic
locking), `is_open`, and the denormalised clock fields (`next_action`, `next_due`, `case_due`)
that the queues sort on without computing anything per row.

What the rule and the clocks need is copied onto the case when it is known, so a case can be
explained and re-computed years later (DESIGN.md §4 Facts at decision time): the household
snapshot at application (`snapshot`, with its `snapshot_hash`), the time limits in force at
application (`limits`), the town's assessment (`outcome`), and each decision's parameters.
"""
from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area
from safetynet.core.privatefiles import unguessable
from safetynet.registry.models import DisabilityType, Household, Person


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("walk-in")
    ENTRUSTED_BY_VILLAGE = "entrusted_by_village", _("entrusted by the village")
    ONLINE = "online", _("online")
    FROM_LEAD = "from_lead", _("from a lead")


class Status(models.TextChoices):
    APPLIED = "applied", _("applied")
    ACCEPTED = "accepted", _("accepted")
    RETURNED_FOR_SUPPLEMENT = "returned_for_supplement", _("returned for supplement")
    SURVEYED = "surveyed", _("surveyed")
    VERIFIED = "verified", _("verified")
    DELIBERATED = "deliberated", _("deliberated")
    TOWN_REVIEWED = "town_reviewed", _("town reviewed")
    IN_NOTICE = "in_notice", _("in public notice")
    CONTESTED = "contested", _("objection under review")
    OBJECTION_RESOLVED = "objection_resolved", _("objection reviewed")
    NOTICE_CLOSED = "notice_closed", _("notice closed")
    PAID_FIRST = "paid_first", _("paid first, paperwork due")
    CONFIRMED = "confirmed", _("confirmed")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")
    REOPENED = "reopened", _("reopened")


CLOSED_STATUSES = frozenset({Status.CONFIRMED, Status.REFUSED, Status.WITHDRAWN})


class TemporaryKind(models.TextChoices):
    """The three paths of temporary assistance (POLICY.md §3)."""

    EMERGENCY = "emergency", _("emergency (paid first)")
    QUICK = "quick", _("small-amount quick aid")
    ORDINARY = "ordinary", _("ordinary")


class DibaoKind(models.TextChoices):
    HOUSEHOLD = "household", _("whole household")
    INDIVIDUAL = "individual", _("individual coverage (MLG-2021 art. 8)")


def attachment_path(instance, filename: str) -> str:
    """`cases/<case id>/<random>.<ext>` under the private root (core/privatefiles.py): the stored
    name says nothing and cannot be guessed; the original name is kept in `original_name`."""
    return f"cases/{instance.case_id}/{unguessable()}{PurePath(filename).suffix.lower()}"


class Case(models.Model):
    # No single-column index on program or household: the composite and unique indexes below lead
    # with them, and every case step's UPDATE writes every index of the table (bench_cases.py).
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="cases", db_index=False,
                                verbose_name=_("program"))
    kind = models.CharField(max_length=16, blank=True, verbose_name=_("kind"))
    path = models.CharField(max_length=40, verbose_name=_("path"))  # program, or "temporary:<kind>" (workflow.path_of)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="cases", db_index=False,
                                  verbose_name=_("household"))
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="applications", verbose_name=_("applicant"))
    covered_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("covered person"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    channel = models.CharField(max_length=24, choices=Channel.choices, verbose_name=_("channel"))
    entrusted_by = models.CharField(max_length=100, blank=True, verbose_name=_("entrusted by"))
    requested_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("requested amount"))
    reason = models.TextField(blank=True, verbose_name=_("reason given"))

    status = models.CharField(max_length=32, choices=Status.choices, verbose_name=_("status"))
    is_open = models.BooleanField(default=True, verbose_name=_("open"))
    version = models.PositiveIntegerField(default=1)

    snapshot = models.JSONField(default=dict, verbose_name=_("household at application"))
    snapshot_hash = models.CharField(max_length=64, blank=True)
    limits = models.JSONField(default=dict, verbose_name=_("time limits in force"))

    promise_signed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("truthfulness promise signed"))
    authorization_signed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verification authorization signed"))
    consent_recorded_by = models.CharField(max_length=150, blank=True)
    missing_materials = models.JSONField(default=list, blank=True, verbose_name=_("missing materials"))
    materials_requested_at = models.DateTimeField(null=True, blank=True)
    materials_resolved_at = models.DateTimeField(null=True, blank=True)

    is_close_relative = models.BooleanField(default=False, verbose_name=_("close-relative filing"))
    close_relative_matches = models.JSONField(default=list, blank=True)
    spot_check_required = models.BooleanField(default=False, verbose_name=_("county spot check"))
    county_visit_required = models.BooleanField(default=False, verbose_name=_("county home visit required"))
    county_visited_on = models.DateField(null=True, blank=True)
    deliberation_required = models.BooleanField(default=False, verbose_name=_("deliberation required"))
    deliberated_on = models.DateField(null=True, blank=True)

    outcome = models.JSONField(null=True, blank=True, verbose_name=_("assessment"))
    proposed_eligible = models.BooleanField(null=True, blank=True)
    proposed_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("proposed amount"))
    approving_level = models.CharField(max_length=16, blank=True, verbose_name=_("approving level"))
    decider_level = models.CharField(max_length=16, blank=True)   # "county" or "town" (delegated), set when the notice closes
    town_opinion = models.TextField(blank=True, verbose_name=_("town opinion"))

    applied_on = models.DateField(verbose_name=_("applied on"))
    accepted_on = models.DateField(null=True, blank=True, verbose_name=_("accepted on"))
    surveyed_on = models.DateField(null=True, blank=True)
    verification_requested_on = models.DateField(null=True, blank=True)
    verified_on = models.DateField(null=True, blank=True)
    town_reviewed_on = models.DateField(null=True, blank=True)
    notice_starts_on = models.DateField(null=True, blank=True)
    notice_ends_on = models.DateField(null=True, blank=True)   # the notice's last day
    notice_closed_on = models.DateField(null=True, blank=True)
    objection_answered_on = models.DateField(null=True, blank=True)   # the town answered the latest objection
    paid_first_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    clock_started_on = models.DateField(null=True, blank=True)  # acceptance, or the day it was reopened
    reopened_count = models.PositiveSmallIntegerField(default=0)
    extended = models.BooleanField(default=False)
    extension_reason = models.TextField(blank=True)

    next_action = models.CharField(max_length=32, blank=True)
    next_due = models.DateField(null=True, blank=True)
    case_due = models.DateField(null=True, blank=True)

    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            # The same person in two open applications for the same program is refused by the
            # database too, so two desks filing at once cannot both succeed.
            models.UniqueConstraint(fields=["program", "applicant"], condition=models.Q(is_open=True),
                                    name="case_one_open_per_person_and_program"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="case_version_positive"),
        ]
        indexes = [
            models.Index(fields=["is_open", "area", "next_due"], name="case_queue_idx"),
            models.Index(fields=["household", "program", "is_open"], name="case_household_program_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.program_id} {self.status}"

    @property
    def town_code(self) -> str:
        return self.area_id[:9]


class CaseEvent(models.Model):
    """One step of the timeline: who moved the case from where to where, when and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32)
    action = models.CharField(max_length=32)
    actor_username = models.CharField(max_length=150)
    actor_post_id = models.BigIntegerField(null=True, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    actor_area_code = models.CharField(max_length=18, blank=True)
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")


class SurveyKind(models.TextChoices):
    HOUSEHOLD = "household", _("household survey")
    COUNTY_VISIT = "county_visit", _("county home visit")
    RESURVEY = "resurvey", _("re-survey after an objection")
    EMERGENCY_RECORD = "emergency_record", _("visit record after emergency aid")


class Survey(models.Model):
    """A home visit by at least two investigators, neither a relative of the household
    (POLICY.md §1 step 3, MLG-2021 art. 15–16); the household and the investigators sign."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="surveys", verbose_name=_("case"))
    kind = models.CharField(max_length=20, choices=SurveyKind.choices, default=SurveyKind.HOUSEHOLD, verbose_name=_("kind"))
    conducted_on = models.DateField(verbose_name=_("date of visit"))
    findings = models.TextField(verbose_name=_("findings"))
    signed_by_household = models.BooleanField(default=False, verbose_name=_("signed by the household"))
    signed_at = models.DateTimeField(null=True, blank=True)
    # How long the visit took, as the investigators record it (empty on older records): a short
    # survey is an anomaly (oversight, `short_survey_minutes`).
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("length of the visit (minutes)"))
    # Special hardship (POLICY.md §2): the six daily activities (True = able) give the care level.
    # `supporters` is what the survey's sender said about supporters before they were kept on the
    # case (`Supporter`, which the rule reads); new surveys leave it empty.
    daily_activities = models.JSONField(null=True, blank=True)
    care_level = models.CharField(max_length=16, blank=True, verbose_name=_("care level"))
    supporters = models.JSONField(default=list, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("household survey")
        verbose_name_plural = _("household surveys")


class SurveyInvestigator(models.Model):
    """An investigator of a survey: a login, a registered staff identity, or a named person;
    the ID number is kept so the relative check can be repeated."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="investigators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    staff_identity = models.ForeignKey("workforce.StaffIdentity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=50)
    id_number = models.CharField(max_length=18)

    class Meta:
        ordering = ["survey_id", "id"]
        constraints = [models.UniqueConstraint(fields=["survey", "id_number"], name="survey_investigator_distinct")]


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case"))
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255, verbose_name=_("file"))
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class VerificationSource(models.TextChoices):
    MANUAL = "manual", _("entered by hand")
    ENGINE = "engine", _("verification engine")


class VerificationReport(models.Model):
    """The household's economic status as departments report it (POLICY.md §5).

    `findings` may carry `income` and `assets` lists in the snapshot's item shape
    (snapshots.py); when present they replace the declared items in the facts the rule sees."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="verification_reports", verbose_name=_("case"))
    source = models.CharField(max_length=8, choices=VerificationSource.choices, verbose_name=_("source"))
    is_manual = models.BooleanField(default=True)
    entered_by = models.CharField(max_length=150)
    summary = models.TextField(verbose_name=_("summary"))
    findings = models.JSONField(default=dict, blank=True)
    total_monthly_income = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    total_financial_assets = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("verification report")
        verbose_name_plural = _("verification reports")
        constraints = [
            models.CheckConstraint(condition=models.Q(source="manual", is_manual=True) | models.Q(source="engine", is_manual=False),
                                   name="verification_manual_matches_source"),
        ]


class Deliberation(models.Model):
    """A democratic appraisal meeting (POLICY.md §1 step 5): where a county keeps it mandatory,
    village representatives are at least 2/3 of participants (MLG-2012 art. 21–22)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deliberations", verbose_name=_("case"))
    held_on = models.DateField(verbose_name=_("date"))
    reason = models.CharField(max_length=16, verbose_name=_("reason"))  # mandatory | objection | optional
    participants = models.PositiveIntegerField(verbose_name=_("participants"))
    village_representatives = models.PositiveIntegerField(verbose_name=_("village representatives"))
    votes_for = models.PositiveIntegerField(default=0)
    votes_against = models.PositiveIntegerField(default=0)
    votes_abstaining = models.PositiveIntegerField(default=0)
    opinion = models.TextField(verbose_name=_("opinion"))
    share_checked = models.BooleanField(default=False)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("deliberation")
        verbose_name_plural = _("deliberations")
        constraints = [
            models.CheckConstraint(condition=models.Q(village_representatives__lte=models.F("participants")),
                                   name="deliberation_representatives_within_participants"),
        ]


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class Decision(models.Model):
    """The decision and what it rested on (DESIGN.md §4): the rule's outcome with its breakdown,
    the parameters in force, the snapshot's hash and the verification report."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("case"))
    outcome = models.CharField(max_length=8, choices=DecisionOutcome.choices, verbose_name=_("decision"))
    monthly_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0, verbose_name=_("amount"))
    start_month = models.DateField(null=True, blank=True, verbose_name=_("from month"))
    assessment = models.JSONField(default=dict, blank=True)      # Outcome.as_dict()
    parameters = models.JSONField(default=dict, blank=True)
    snapshot_hash = models.CharField(max_length=64, blank=True)
    verification_report = models.ForeignKey(VerificationReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approving_level = models.CharField(max_length=16, blank=True)
    decided_by = models.CharField(max_length=150)
    decided_by_post_id = models.BigIntegerField(null=True, blank=True)
    decided_by_role = models.CharField(max_length=32, blank=True)
    decided_by_area = models.CharField(max_length=18, blank=True)
    decided_at = models.DateTimeField()
    decided_on = models.DateField()
    reasons = models.TextField(blank=True, verbose_name=_("reasons"))
    letter_number = models.CharField(max_length=40, unique=True, verbose_name=_("letter number"))
    letter_due = models.DateField(null=True, blank=True)
    letter_issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(condition=models.Q(monthly_amount__gte=0), name="decision_amount_not_negative"),
        ]


class SupporterRelation(models.TextChoices):
    """Who is bound by law to support the person (法定赡养、抚养、扶养义务人): the labels are the
    registry's, so they read the same everywhere."""

    SPOUSE = "spouse", _("spouse")
    PARENT = "parent", _("parent")
    CHILD = "child", _("child")
    GRANDPARENT = "grandparent", _("grandparent")
    GRANDCHILD = "grandchild", _("grandchild")
    SIBLING = "sibling", _("sibling")
    OTHER = "other", _("other relative")


class SupporterInability(models.TextChoices):
    """Why a supporter cannot support, as SH-2021 art. 8 lists the ways (POLICY.md §2); NONE: he can."""

    NONE = "none", _("none: able to support")
    SPECIAL_HARDSHIP = "special_hardship", _("a special hardship person himself")
    DIBAO_ELDERLY = "dibao_elderly", _("a dibao recipient aged 60 or over")
    ELDERLY_LOW_MEANS = "elderly_low_means", _("aged 70 or over, with low income and assets")
    DISABLED_LOW_MEANS = "disabled_low_means", _("severely disabled, with low income and assets")
    INCAPACITATED = "incapacitated", _("without full civil capacity")
    MISSING = "missing", _("missing")
    IMPRISONED = "imprisoned", _("serving a prison sentence")


class Supporter(models.Model):
    """A person bound by law to support the special-hardship applicant, recorded by the town on the
    case (cases/supporters.py); the rule's "no supporter able to support" condition reads these
    (SH-2021 art. 8). The ID number is optional (a supporter may live elsewhere); the birth date
    comes from it when given, and is needed for the two age-bound reasons."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supporters", verbose_name=_("case"))
    name = models.CharField(max_length=50, verbose_name=_("name"))
    id_number = models.CharField(max_length=18, blank=True, verbose_name=_("ID number"))
    birth_date = models.DateField(null=True, blank=True, verbose_name=_("birth date"))
    relation = models.CharField(max_length=16, choices=SupporterRelation.choices, verbose_name=_("relation"))
    inability = models.CharField(max_length=24, choices=SupporterInability.choices, default=SupporterInability.NONE,
                                 verbose_name=_("why unable to support"))
    disability_type = models.CharField(max_length=16, blank=True, choices=DisabilityType.choices,
                                       verbose_name=_("disability type"))
    disability_grade = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("disability grade"))
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")
        constraints = [
            models.UniqueConstraint(fields=["case", "id_number"], condition=~models.Q(id_number=""),
                                    name="supporter_once_per_case"),
            models.CheckConstraint(condition=models.Q(disability_grade__isnull=True)
                                   | models.Q(disability_grade__gte=1, disability_grade__lte=4),
                                   name="supporter_disability_grade_1_to_4"),
        ]

    def __str__(self):
        return f"{self.name} ({self.relation})"


from .deliberation_models import DeliberationParticipant  # noqa: E402,F401
