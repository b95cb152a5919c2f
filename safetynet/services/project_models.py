"""Service projects (issue 19 part 5): assistance service projects the county designs and puts out
to the community, or that a social organisation proposes through the public form, evaluated by a
panel and then set up (background: the government-purchased program mechanism).

A project belongs to a county and, optionally, one town of it (`area`: the town, else the county);
scope reads `area`, so a town's posts read their town's projects. Its status moves only through
`projects.transition` (the table `projects.TRANSITIONS`), each change a `ProjectEvent`.

Invariants kept by the database: one score per panel member and project, a score within the scale
it was given on, the funding paid never above the approved budget (`funded_total`, raised in the
same transaction as each tranche), one row per household and project, one outcome report.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    UNDER_EVALUATION = "under_evaluation", _("under evaluation")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    FUNDED = "funded", _("funded")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


class ProjectOrigin(models.TextChoices):
    DESIGNED = "designed_by_county", _("designed by the county")
    PROPOSED = "proposed", _("proposed by an organisation")


class TargetGroup(models.TextChoices):
    ELDERLY = "elderly", _("elderly people living alone or with little support")
    DISABLED = "disabled", _("people with disabilities")
    CHILDREN = "children", _("children in difficulty")
    DIBAO = "dibao", _("dibao households")
    SPECIAL_HARDSHIP = "special_hardship", _("special-hardship people")
    LOW_INCOME = "low_income", _("low-income households")
    TEMPORARY = "temporary", _("people in sudden difficulty")
    OTHER = "other", _("other (described below)")


class ServiceProject(models.Model):
    county = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    # The town the project serves, else the county itself: what scope reads.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area served"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    description = models.TextField(verbose_name=_("description"))
    target_group = models.CharField(max_length=20, choices=TargetGroup.choices, verbose_name=_("target group"))
    target_note = models.CharField(max_length=200, blank=True, verbose_name=_("target group, in words"))
    budget = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("budget"))
    starts_on = models.DateField(verbose_name=_("starts on"))
    ends_on = models.DateField(verbose_name=_("ends on"))
    origin = models.CharField(max_length=20, choices=ProjectOrigin.choices, verbose_name=_("origin"))
    # The proposing organisation (a designed project names the county's office or none).
    proposer_name = models.CharField(max_length=200, blank=True, verbose_name=_("organisation"))
    proposer_uscc = models.CharField(max_length=18, blank=True, verbose_name=_("unified social credit code"))
    # Personal contact data: read through project_selectors.contact_of (masked unless the post manages projects).
    contact_name = models.CharField(max_length=50, blank=True, verbose_name=_("contact person"))
    contact_phone = models.CharField(max_length=20, blank=True, verbose_name=_("contact phone"))
    contact_email = models.CharField(max_length=254, blank=True, verbose_name=_("contact email"))
    designed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("designed by"))
    # The proposer follows the project with a token given once; only its SHA-256 is kept.
    token_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED,
                              verbose_name=_("status"))
    received_on = models.DateField(verbose_name=_("received on"))
    created_at = models.DateTimeField(auto_now_add=True)
    # The decision, with the facts it was taken on (the average and the pass score then in force).
    decided_on = models.DateField(null=True, blank=True, verbose_name=_("decided on"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decision_note = models.TextField(blank=True, verbose_name=_("the county's answer"))
    average_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True,
                                        verbose_name=_("average score"))
    pass_score = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("pass score"))
    funded_total = models.DecimalField(max_digits=12, decimal_places=2, default=0, verbose_name=_("funded so far"))
    cancel_reason = models.TextField(blank=True, verbose_name=_("why it was cancelled"))

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("service project")
        verbose_name_plural = _("service projects")
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gt=0), name="serviceproject_budget_positive"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="serviceproject_period_ordered"),
            models.CheckConstraint(condition=models.Q(funded_total__gte=0) & models.Q(funded_total__lte=models.F("budget")),
                                   name="serviceproject_funded_within_budget"),
            models.CheckConstraint(condition=models.Q(status__in=ProjectStatus.values), name="serviceproject_status_known"),
            models.UniqueConstraint(fields=["token_hash"], condition=~models.Q(token_hash=""),
                                    name="serviceproject_one_token"),
        ]
        indexes = [models.Index(fields=["area", "status"], name="serviceproject_area_idx"),
                   models.Index(fields=["county", "received_on"], name="serviceproject_county_idx")]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        """The number people quote: the day it was received and its key."""
        return project_reference(self.received_on, self.pk) if self.pk else ""


def project_reference(received_on, pk: int) -> str:
    return f"XM{received_on:%Y%m%d}{pk:05d}"


class ProjectEvent(models.Model):
    """A project's timeline: each status change, who made it, what they wrote (staff only)."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    on = models.DateField()         # the business date
    at = models.DateTimeField()
    by = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    @property
    def to_label(self) -> str:
        return str(ProjectStatus(self.to_status).label) if self.to_status in ProjectStatus.values else self.to_status


class PanelMember(models.Model):
    """A member of a project's evaluation panel: a user holding `projects.evaluate` at the
    project's county, chosen by a post holding `projects.manage`."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="panel")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("panel member"))
    added_by = models.CharField(max_length=150, blank=True)
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="panelmember_once")]


class Evaluation(models.Model):
    """One panel member's score of a project: a whole number within 0..`scale` (the
    `project_score_max` in force when it was given), optional scores by criterion, a comment."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="evaluations")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("evaluator"))
    score = models.PositiveIntegerField(verbose_name=_("score"))
    scale = models.PositiveIntegerField(verbose_name=_("out of"))
    criteria = models.JSONField(default=dict, blank=True, verbose_name=_("scores by criterion"))
    comment = models.TextField(verbose_name=_("comment"))
    scored_on = models.DateField(verbose_name=_("scored on"))
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "evaluator"], name="evaluation_one_per_member"),
            models.CheckConstraint(condition=models.Q(score__lte=models.F("scale")), name="evaluation_score_within_scale"),
        ]


class ProjectFunding(models.Model):
    """A tranche paid to an approved project. Their sum is the project's `funded_total`, which
    the database keeps within the budget."""

    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT, related_name="fundings")
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))
    paid_on = models.DateField(verbose_name=_("paid on"))
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="projectfunding_amount_positive")]
        indexes = [models.Index(fields=["paid_on"], name="projectfunding_paid_idx")]


class Milestone(models.Model):
    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200, verbose_name=_("milestone"))
    due_on = models.DateField(verbose_name=_("due on"))
    done_on = models.DateField(null=True, blank=True, verbose_name=_("done on"))
    evidence = models.TextField(blank=True, verbose_name=_("evidence"))
    done_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["due_on", "id"]


class ProjectBeneficiary(models.Model):
    """A household the project serves; its area copied so that scope and counts need no join."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="beneficiaries")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("household"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    added_on = models.DateField(verbose_name=_("added on"))
    added_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["project", "household"], name="projectbeneficiary_once")]


class OutcomeReport(models.Model):
    """What the project did, with the figures read when it was submitted: households and people
    served (from its beneficiaries), spent (its tranches) against the budget."""

    project = models.OneToOneField(ServiceProject, on_delete=models.CASCADE, related_name="outcome")
    text = models.TextField(verbose_name=_("outcome"))
    households_served = models.PositiveIntegerField(verbose_name=_("households served"))
    people_served = models.PositiveIntegerField(verbose_name=_("people served"))
    spent = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("spent"))
    budget = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("budget"))
    submitted_on = models.DateField(verbose_name=_("submitted on"))
    submitted_by = models.CharField(max_length=150, blank=True)
