"""Training and mentoring of the staff register (issue 19 part 1).

A `TrainingCourse` is owned by the county or a town (its `area`); its `hours` are what one
session of it credits at most, and `employments` the footings it is meant for. A
`TrainingSession` is one holding of a course somewhere under the course's area; each
`TrainingAttendance` credits a person with hours of it, once per session (a database constraint).
The hours done in a year are the attendance of sessions held in it, weighed against the
`training_hours_<employment>` parameter (WORKFORCE) by `training_rules`.

A `MentoringPair` is an experienced worker bringing along a new one; a mentee has one active
mentor at a time (a database constraint), and nobody mentors himself.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area


class TrainingCourse(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("held by"))
    title = models.CharField(max_length=100, verbose_name=_("title"))
    topic = models.CharField(max_length=200, blank=True, verbose_name=_("topic"))
    hours = models.DecimalField(max_digits=4, decimal_places=1, verbose_name=_("hours"))
    # The footings the course is for, as ",civil_servant,grid_worker," (a LIKE finds one, on SQLite too).
    employments = models.CharField(max_length=200, verbose_name=_("for"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area_id", "title", "id"]
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        constraints = [models.CheckConstraint(condition=models.Q(hours__gt=0), name="trainingcourse_hours_positive")]

    def __str__(self):
        return self.title

    @property
    def employment_list(self) -> list[str]:
        return [e for e in self.employments.split(",") if e]


class TrainingSession(models.Model):
    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("course"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("for staff of"))
    held_on = models.DateField(verbose_name=_("held on"))
    place = models.CharField(max_length=100, blank=True, verbose_name=_("place"))
    trainer = models.CharField(max_length=50, blank=True, verbose_name=_("trainer"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        indexes = [models.Index(fields=["area", "held_on"], name="trainingsession_area_idx")]

    def __str__(self):
        return f"{self.course.title} {self.held_on:%Y-%m-%d}"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="attendance",
                                verbose_name=_("session"))
    staff_identity = models.ForeignKey("workforce.StaffIdentity", on_delete=models.PROTECT, related_name="attendance",
                                       verbose_name=_("staff member"))
    # Copied from the staff identity and the session: scoped by one prefix, summed by year without a join.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("works at"))
    held_on = models.DateField(verbose_name=_("held on"))
    hours = models.DecimalField(max_digits=4, decimal_places=1, verbose_name=_("hours credited"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["session_id", "staff_identity_id"]
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        constraints = [
            # A person is credited once per session: recording him twice would count his hours twice.
            models.UniqueConstraint(fields=["session", "staff_identity"], name="trainingattendance_once_per_session"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="trainingattendance_hours_positive"),
        ]
        indexes = [models.Index(fields=["staff_identity", "held_on"], name="trainingattendance_year_idx")]


class MentoringPair(models.Model):
    mentor = models.ForeignKey("workforce.StaffIdentity", on_delete=models.PROTECT, related_name="mentees_paired",
                               verbose_name=_("mentor"))
    mentee = models.ForeignKey("workforce.StaffIdentity", on_delete=models.PROTECT, related_name="mentors_paired",
                               verbose_name=_("mentee"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    started_on = models.DateField(verbose_name=_("started on"))
    ended_on = models.DateField(null=True, blank=True, verbose_name=_("ended on"))
    goal = models.CharField(max_length=500, blank=True, verbose_name=_("goal"))
    end_note = models.CharField(max_length=500, blank=True, verbose_name=_("how it ended"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("mentoring pair")
        verbose_name_plural = _("mentoring pairs")
        constraints = [
            models.CheckConstraint(condition=~models.Q(mentor=models.F("mentee")), name="mentoringpair_not_oneself"),
            # One active mentor for a mentee at a time.
            models.UniqueConstraint(fields=["mentee"], condition=models.Q(ended_on__isnull=True),
                                    name="mentoringpair_one_active_mentor"),
            models.CheckConstraint(condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                                   name="mentoringpair_ends_after_start"),
        ]

    @property
    def is_active(self) -> bool:
        return self.ended_on is None
