"""Programs and their parameters as rows with an area and an effective period (DESIGN.md §4
Rules are data plus pure functions; POLICY.md §1–3).

A parameter row applies to its area's whole subtree (national when `area` is empty) for the
months from `effective_from` up to, not including, `effective_to`. A change never edits a row in
force: services.set_parameter closes the previous row's period and adds a new one, so the value a
past decision used can always be found again. A row corrected before its month is over (a new
value entered for the same area and first month) is kept too, marked `replaced_at`/`replaced_by`,
and no longer resolves.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safetynet.areas.models import Area

from . import catalogue


class Program(models.Model):
    code = models.CharField(primary_key=True, max_length=32, verbose_name=_("code"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the user's language (the stored name is the English one)."""
        return catalogue.program_name(self.code)


class Parameter(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="parameters", verbose_name=_("program"))
    key = models.CharField(max_length=64, verbose_name=_("parameter"))
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("area"), help_text=_("Empty: the national default"))
    value = models.TextField(verbose_name=_("value"), help_text=_("Canonical text; typed by the catalogue"))
    effective_from = models.DateField(verbose_name=_("effective from"))
    effective_to = models.DateField(null=True, blank=True, verbose_name=_("effective until (exclusive)"))
    replaced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("replaced at"))
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("replaced by"))
    reason = models.CharField(max_length=300, verbose_name=_("reason"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("entered by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("entered at"))

    class Meta:
        ordering = ["program_id", "key", "area_id", "effective_from", "id"]
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")
        indexes = [models.Index(fields=["program", "key", "effective_from"], name="parameter_lookup")]
        constraints = [
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                                   name="parameter_period_not_empty"),
            # One value in force per key, area and month start (national rows have no area, and
            # NULLs never collide in a unique index, hence the pair of partial constraints).
            models.UniqueConstraint(fields=["program", "key", "area", "effective_from"],
                                    condition=Q(replaced_at__isnull=True, area__isnull=False),
                                    name="parameter_unique_start_area"),
            models.UniqueConstraint(fields=["program", "key", "effective_from"],
                                    condition=Q(replaced_at__isnull=True, area__isnull=True),
                                    name="parameter_unique_start_national"),
            models.UniqueConstraint(fields=["program", "key", "area"],
                                    condition=Q(replaced_at__isnull=True, effective_to__isnull=True, area__isnull=False),
                                    name="parameter_one_open_area"),
            models.UniqueConstraint(fields=["program", "key"],
                                    condition=Q(replaced_at__isnull=True, effective_to__isnull=True, area__isnull=True),
                                    name="parameter_one_open_national"),
        ]

    def __str__(self):
        return f"{self.program_id}.{self.key}@{self.area_id or 'national'} {self.effective_from}: {self.value}"

    @property
    def last_day(self):
        """The last day the value was in force (`effective_to` is exclusive); None while open."""
        import datetime as dt

        return self.effective_to - dt.timedelta(days=1) if self.effective_to else None

    @property
    def spec(self):
        return catalogue.get_spec(self.program_id, self.key)

    @property
    def typed_value(self):
        spec = self.spec
        return catalogue.value_from_text(spec, self.value) if spec else self.value

    @property
    def display_value(self) -> str:
        spec = self.spec
        return catalogue.display_value(spec, self.typed_value) if spec else self.value
