"""Department data and verification runs (POLICY.md §5; DESIGN.md §4 Batch data).

- `DepartmentAccount` marks a login as a department's: its API token may upload that department's
  datasets and nothing else.
- `Snapshot` is one validated file of one dataset, kept as Parquet (the rows themselves never
  enter the database). The newest by `taken_on` is the dataset's current snapshot.
- `VerificationRun` is one verification of a set of households (one household online, the cases
  waiting for verification, the enrollments due for re-check, or a county), processed in
  `VerificationChunk`s of households so an interrupted run resumes where it stopped.
- `HouseholdResult` is a household's assessment in a run: counted income and assets by
  category, flags, and the rule applied. `Finding` is one record found for one member (source,
  item, value, date); small runs keep findings here, large ones in the run's Parquet files
  (selectors.findings_for_household reads either).

Unique constraints make a resumed or repeated chunk unable to duplicate a result or a finding.
Results refer to households without a database foreign-key constraint (`db_constraint=False`):
a province's results are loaded in bulk, and the registry's households are never deleted.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .schemas import Department, dataset_choices


class DepartmentAccount(models.Model):
    """A department's login. It acts through an institution post (`post`), whose area is where the
    county office that registered it manages it (department_accounts.py); its API tokens are bound
    to that post. A deactivated account's user is inactive and its tokens revoked."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="department_account",
                                verbose_name=_("user"))
    department = models.CharField(max_length=24, choices=Department.choices, verbose_name=_("department"))
    post = models.ForeignKey("areas.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("post"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_by = models.CharField(max_length=150, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["department", "id"]
        verbose_name = _("department account")
        verbose_name_plural = _("department accounts")

    def __str__(self):
        return f"{self.user_id} {self.department}"


class SnapshotStatus(models.TextChoices):
    CURRENT = "current", _("current")
    SUPERSEDED = "superseded", _("superseded")


class Snapshot(models.Model):
    dataset = models.CharField(max_length=40, choices=dataset_choices(), verbose_name=_("dataset"))
    department = models.CharField(max_length=24, choices=Department.choices, verbose_name=_("department"))
    taken_on = models.DateField(verbose_name=_("taken on"))
    uploaded_by = models.CharField(max_length=150, verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))
    filename = models.CharField(max_length=255, blank=True, verbose_name=_("file name"))
    content_hash = models.CharField(max_length=64, verbose_name=_("content hash"))
    row_count = models.BigIntegerField(verbose_name=_("rows"))
    path = models.CharField(max_length=500)          # the Parquet file, relative to DATA_DIR
    index_path = models.CharField(max_length=500, blank=True)   # the indexed DuckDB file, relative to DATA_DIR
    identities = models.JSONField(default=dict, blank=True)     # {exact, legacy, bad_check, missing: rows}
    status = models.CharField(max_length=12, choices=SnapshotStatus.choices, verbose_name=_("status"))

    class Meta:
        ordering = ["dataset", "-taken_on", "-id"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [
            models.UniqueConstraint(fields=["dataset", "content_hash"], name="snapshot_unique_content"),
            models.UniqueConstraint(fields=["dataset"], condition=models.Q(status="current"), name="snapshot_one_current_per_dataset"),
        ]
        indexes = [models.Index(fields=["status", "dataset"], name="snapshot_status_dataset")]

    def __str__(self):
        return f"{self.dataset} {self.taken_on} ({self.row_count} rows)"


class RunKind(models.TextChoices):
    HOUSEHOLD = "household", _("one household")
    CASES = "cases", _("cases waiting for verification")
    DUE = "due", _("enrollments due for re-check")
    COUNTY = "county", _("a whole county")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class FindingsStorage(models.TextChoices):
    DATABASE = "database", _("database")
    PARQUET = "parquet", _("Parquet files")


class VerificationRun(models.Model):
    kind = models.CharField(max_length=12, choices=RunKind.choices, verbose_name=_("kind"))
    area_code = models.CharField(max_length=18, blank=True, verbose_name=_("area"))   # the county, or the household's area
    household_id = models.BigIntegerField(null=True, blank=True)
    case_id = models.BigIntegerField(null=True, blank=True)
    as_of = models.DateField(verbose_name=_("as of"))   # parameters in force that month; income window ends here
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.PENDING, verbose_name=_("status"))
    findings_storage = models.CharField(max_length=12, choices=FindingsStorage.choices, default=FindingsStorage.DATABASE)
    snapshots = models.JSONField(default=dict, blank=True)   # {dataset: snapshot id} read by the run
    households_total = models.PositiveIntegerField(default=0)
    households_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    findings_count = models.BigIntegerField(default=0)
    flagged_households = models.PositiveIntegerField(default=0)
    requested_by = models.CharField(max_length=150)
    requested_role = models.CharField(max_length=32, blank=True)
    requested_area = models.CharField(max_length=18, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    notes = models.JSONField(default=dict, blank=True)   # cases and enrollments behind the run, what was skipped and why
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("verification run")
        verbose_name_plural = _("verification runs")
        indexes = [models.Index(fields=["household_id", "-id"], name="run_household_idx")]

    def __str__(self):
        return f"#{self.pk} {self.kind} {self.status}"

    @property
    def retry_label(self) -> str:
        """Said while a run whose worker died is run again (services.record_run_interruption)."""
        retry = (self.notes or {}).get("retry")
        if not retry or retry.get("attempt", 1) <= 1:
            return ""
        from django.utils.translation import gettext

        return gettext("interrupted, retried: attempt %(attempt)d of %(of)d") % {"attempt": retry["attempt"], "of": retry["of"]}

    @property
    def progress(self) -> float:
        return self.households_done / self.households_total if self.households_total else (1.0 if self.status == RunStatus.DONE else 0.0)


class VerificationChunk(models.Model):
    """A slice of a run's households (by household id); written in one transaction, so a chunk
    is either wholly in the database or not at all."""

    run = models.ForeignKey(VerificationRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_household_id = models.BigIntegerField()
    last_household_id = models.BigIntegerField()
    households = models.PositiveIntegerField(default=0)
    findings = models.BigIntegerField(default=0)
    done_at = models.DateTimeField()

    class Meta:
        ordering = ["run_id", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="chunk_unique_per_run")]


class HouseholdResult(models.Model):
    run = models.ForeignKey(VerificationRun, on_delete=models.CASCADE, related_name="results")
    household = models.ForeignKey("registry.Household", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    area_code = models.CharField(max_length=18)
    chunk = models.PositiveIntegerField(default=0)
    members = models.PositiveSmallIntegerField(default=0)          # living members assessed
    deceased = models.PositiveSmallIntegerField(default=0)         # members a department reports dead
    counted_income = models.DecimalField(max_digits=14, decimal_places=2, default=0)     # monthly, after exclusions
    per_capita_income = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    income = models.JSONField(default=dict, blank=True)            # {category: monthly amount}
    found_wages = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    declared_wages = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    financial_assets = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    assets = models.JSONField(default=dict, blank=True)            # {category: value or count}
    homes = models.PositiveSmallIntegerField(default=0)
    non_residential = models.PositiveSmallIntegerField(default=0)
    vehicles = models.PositiveSmallIntegerField(default=0)
    businesses = models.PositiveSmallIntegerField(default=0)
    flags = models.JSONField(default=list, blank=True)
    flagged = models.BooleanField(default=False)
    eligible = models.BooleanField(default=False)                  # dibao rule on the verified facts
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    rule = models.JSONField(default=dict, blank=True)              # program, standard, limits, where they come from

    class Meta:
        ordering = ["run_id", "household_id"]
        verbose_name = _("household verification result")
        verbose_name_plural = _("household verification results")
        constraints = [models.UniqueConstraint(fields=["run", "household"], name="result_unique_per_run_household")]
        # Few indexes on purpose: a province's run inserts hundreds of thousands of rows at once.
        # Flagged results of a run are read through the unique (run, household) index.
        indexes = [models.Index(fields=["household", "run"], name="result_household_run")]


class Finding(models.Model):
    run = models.ForeignKey(VerificationRun, on_delete=models.CASCADE, related_name="findings")
    household_id = models.BigIntegerField()
    person_id = models.BigIntegerField()
    id_number = models.CharField(max_length=18)
    source = models.CharField(max_length=40)          # dataset code
    department = models.CharField(max_length=24)
    snapshot_id = models.BigIntegerField()
    snapshot_taken_on = models.DateField(null=True, blank=True)
    item = models.CharField(max_length=32)            # income or asset category, death, medical_self_paid, ...
    counted = models.BooleanField(default=False)      # counts in the assessed income or assets
    monthly_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)   # bank, plate, address, company, employer
    detail = models.CharField(max_length=300, blank=True)
    record_date = models.DateField(null=True, blank=True)
    record_key = models.CharField(max_length=240)

    class Meta:
        ordering = ["run_id", "household_id", "person_id", "source", "record_key"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [models.UniqueConstraint(fields=["run", "household_id", "id_number", "source", "item", "record_key"],
                                               name="finding_unique_per_run")]
        indexes = [models.Index(fields=["run", "household_id"], name="finding_run_household")]


# Identity resolution (issue 4, part 3) and report sign-offs (part 4) live in their own modules.
from .identity_models import IdentityKind, IdentityLink, IdentityProposal, ProposalStatus  # noqa: E402,F401
from .signoff_models import ReportSignOff  # noqa: E402,F401
