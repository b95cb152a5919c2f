"""Every write verification offers (DESIGN.md §8): snapshot imports, and verification runs — one
household online, or a batch (the cases waiting, the enrollments due for re-check, a county) —
each audited (POLICY.md §5). Department logins have their own module (department_accounts.py).

Who may do what:
- a county officer imports any dataset ("verification.import"); a department's login (a user
  with a `DepartmentAccount`, usually through an API token) imports its own department's
  datasets only (another department's → WrongDepartment, 403);
- county officers and the verification service run verifications ("verification.run"), within
  their area; the applicant's signed authorization for data verification (MLG-2021 art. 9, on
  the case) must exist before a household is verified.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.actors import build_actor
from safetynet.cases.models import Case, Status, VerificationReport
from safetynet.cases.services import record_engine_verification
from safetynet.cases.workflow import check_transition
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, SafetyNetError, ValidationError
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.registry.models import Household

from . import engine, identity, importer, storage
from .casefile import case_findings, summary_text
from .coverage import assess_coverage, coverage_of, gaps, is_complete, limits_for
from .department_accounts import department_of, register_department_account  # noqa: F401 (the department's own service)
from .errors import AuthorizationMissing, RunNotResumable, SnapshotRejected, WrongDepartment
from .export import export_households
from .models import (
    FindingsStorage, HouseholdResult, RunKind, RunStatus, Snapshot, SnapshotStatus, VerificationChunk,
    VerificationRun,
)
from .online import CATALOG
from .schemas import Department, get_dataset
from .selectors import current_snapshot_refs, findings_for_household

log = logging.getLogger(__name__)

DEFAULT_CHUNK_HOUSEHOLDS = 100_000
# Runs of up to this many households (and every run of cases) keep their findings as database rows,
# for the report pages; larger ones keep them in the run's Parquet files (selectors.findings_for_household).
DATABASE_FINDINGS_MAX_HOUSEHOLDS = 2000
SERVICE_USERNAME = "verification-service"
SERVICE_ROLE = "verification_service"


def verification_service_actor() -> Actor:
    """The system actor batch jobs run as: it runs verifications and files their reports on
    cases anywhere, and nothing else."""
    return build_actor(user_id=None, username=SERVICE_USERNAME, role=SERVICE_ROLE, area_code="",
                       permissions=frozenset({"verification.view", "verification.run", "cases.view", "cases.verify_manual"}))


def _today() -> dt.date:
    return timezone.localdate()


# --------------------------------------------------------------------------------------------
# Importing snapshots
# --------------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    snapshot: Snapshot
    created: bool                      # False: the same content was already stored (an identical re-send)
    identities: dict = field(default_factory=dict)

    @property
    def duplicate(self) -> bool:
        return not self.created


def _check_importer(actor: Actor, dataset) -> None:
    department = department_of(actor)
    if department is not None:
        if dataset.department != department:
            raise WrongDepartment(
                _("This login belongs to the %(own)s department: it may not upload %(dataset)s, which %(other)s sends.")
                % {"own": Department(department).label, "dataset": dataset.code, "other": Department(dataset.department).label})
        return
    actor.require("verification.import")


def import_snapshot(*, actor: Actor, dataset_code: str, source, filename: str, taken_on: dt.date | None = None) -> ImportResult:
    """Check a department's file and keep it as the dataset's snapshot (importer.py).

    Raises ValidationError for a file that is not what its name says or has the wrong columns,
    and SnapshotRejected (every bad row with its reason) when any row is bad: nothing is stored
    then. An identical re-send (same content hash) returns the stored snapshot, `created` False.
    The snapshot taken latest becomes the dataset's current one."""
    dataset = get_dataset(dataset_code or "")
    if dataset is None:
        raise ValidationError(_("No such dataset: %(code)s.") % {"code": dataset_code or "—"}, field="dataset")
    _check_importer(actor, dataset)
    today = _today()
    taken_on = taken_on or today
    if isinstance(taken_on, str):
        try:
            taken_on = dt.date.fromisoformat(taken_on)
        except ValueError:
            raise ValidationError(_("Give the date the data was taken as YYYY-MM-DD."), field="taken_on")
    if taken_on > today:
        raise ValidationError(_("The date the data was taken cannot be in the future."), field="taken_on")
    importer.kind_of(filename)
    upload, content_hash = importer.copy_upload(source, suffix=f".upload{''.join(c for c in filename[-8:] if c.isalnum() or c == '.')}")
    try:
        existing = Snapshot.objects.filter(dataset=dataset.code, content_hash=content_hash).first()
        if existing is not None:
            with transaction.atomic():
                record_event(actor=actor, action="verification.import_duplicate", obj=existing,
                             after={"dataset": dataset.code, "filename": filename, "content_hash": content_hash})
            return ImportResult(existing, created=False, identities=existing.identities)
        checked = importer.check_snapshot_file(upload, filename=filename, dataset=dataset, content_hash=content_hash, today=today)
    except ValidationError as error:
        with transaction.atomic():
            record_event(actor=actor, action="verification.import_rejected", object_type="verification.snapshot",
                         object_id="", after={"dataset": dataset.code, "filename": filename, "content_hash": content_hash,
                                              "code": error.code, "message": error.message})
        raise
    finally:
        storage.remove(upload)
    if checked.bad_rows:
        with transaction.atomic():
            record_event(actor=actor, action="verification.import_rejected", object_type="verification.snapshot", object_id="",
                         after={"dataset": dataset.code, "filename": filename, "content_hash": content_hash,
                                "bad_rows": len(checked.bad_rows)})
        raise SnapshotRejected(
            _("%(n)d rows of %(file)s are wrong: nothing was stored. Correct them and send the file again.")
            % {"n": len(checked.bad_rows), "file": filename}, bad_rows=checked.bad_rows)
    return _keep(actor, dataset, checked.staged, filename=filename, taken_on=taken_on)


def _keep(actor: Actor, dataset, staged: importer.Staged, *, filename: str, taken_on: dt.date) -> ImportResult:
    parquet, index = storage.snapshot_paths(dataset.code, staged.content_hash)
    storage.replace(staged.parquet, parquet)
    storage.replace(staged.index, index)
    try:
        with transaction.atomic(durable=True):
            current = Snapshot.objects.select_for_update().filter(dataset=dataset.code, status=SnapshotStatus.CURRENT).first()
            becomes_current = current is None or taken_on >= current.taken_on
            if becomes_current and current is not None:
                Snapshot.objects.filter(pk=current.pk).update(status=SnapshotStatus.SUPERSEDED)
            snapshot = Snapshot.objects.create(
                dataset=dataset.code, department=dataset.department, taken_on=taken_on, uploaded_by=actor.username,
                filename=filename[:255], content_hash=staged.content_hash, row_count=staged.row_count,
                path=storage.relative(parquet), index_path=storage.relative(index), identities=staged.identities,
                status=SnapshotStatus.CURRENT if becomes_current else SnapshotStatus.SUPERSEDED)
            record_event(actor=actor, action="verification.import_snapshot", obj=snapshot,
                         after={"dataset": dataset.code, "taken_on": taken_on, "rows": staged.row_count,
                                "content_hash": staged.content_hash, "identities": staged.identities,
                                "status": snapshot.status, "replaces": current.pk if becomes_current and current else None})
    except IntegrityError:
        # The same file arrived twice at once: the other request stored it.
        existing = Snapshot.objects.filter(dataset=dataset.code, content_hash=staged.content_hash).first()
        if existing is None:
            storage.remove(parquet)
            storage.remove(index)
            raise
        return ImportResult(existing, created=False, identities=existing.identities)
    except BaseException:
        storage.remove(parquet)
        storage.remove(index)
        raise
    return ImportResult(snapshot, created=True, identities=staged.identities)


# --------------------------------------------------------------------------------------------
# Authorization (MLG-2021 art. 9)
# --------------------------------------------------------------------------------------------

def _authorized_case(actor: Actor, household_id: int, case_id: int | None):
    if case_id is not None:
        case = get_in_scope(Case.objects.all(), actor, pk=case_id)
        if case.household_id != household_id:
            raise ValidationError(_("Case #%(case)s is not this household's.") % {"case": case_id}, field="case")
        if case.authorization_signed_at is None:
            raise AuthorizationMissing(
                _("The applicant has not signed the authorization for data verification on case #%(case)s: "
                  "record it before running the verification.") % {"case": case_id}, field="authorization")
        return case
    case = (Case.objects.filter(household_id=household_id, authorization_signed_at__isnull=False).order_by("-id").first())
    if case is None:
        raise AuthorizationMissing(
            _("No signed authorization for data verification is on file for this household: record it on its "
              "application before running the verification."), field="authorization")
    return None


# --------------------------------------------------------------------------------------------
# One household, online
# --------------------------------------------------------------------------------------------

@dataclass
class HouseholdReport:
    run: VerificationRun
    result: HouseholdResult
    findings: list[dict]
    case_report_id: int | None = None
    coverage: list = field(default_factory=list)   # per dataset read (coverage.DatasetCoverage)

    @property
    def complete(self) -> bool:
        return is_complete(self.coverage)


def verify_household(*, actor: Actor, household_id: int, case_id: int | None = None) -> HouseholdReport:
    """Verify one household now against every current snapshot and keep the run, its result and
    its findings; with `case_id`, file the report on the case (cases.services.record_engine_verification)
    when every dataset was there and fresh. A report built on missing or out-of-date data is filed
    when a county officer signs it off with a reason for each such dataset (reports.sign_off_report).

    Checks: the actor may run verifications (403) in the household's area (404); the applicant's
    authorization is on the case (or, without a case, on one of the household's applications);
    with a case, the case must be waiting for its verification (the case workflow says so)."""
    actor.require("verification.run")
    try:
        household_id = int(household_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    household = get_in_scope(Household.objects.only("id", "area_id"), actor, pk=household_id)
    case = _authorized_case(actor, household.pk, int(case_id) if case_id not in (None, "") else None)
    if case is not None:
        check_transition(case, "verify", actor)
    as_of = _today()
    refs = current_snapshot_refs()
    members, households = export_households([household.pk], chunk_size=1)
    online = CATALOG.run(refs, as_of, members, households)
    resolver = engine.ParameterResolver(as_of)
    assessments = engine.assess_totals(engine.iter_report_totals(online.household_rows), resolver, as_of)
    snapshots = {r.dataset: r for r in refs}
    result_flags = assessments[0].flags if assessments else []
    findings = engine.finding_dicts(online.findings, snapshots)
    coverage = assess_coverage({r.dataset: (r.id, r.taken_on) for r in refs}, as_of=as_of,
                               limits=limits_for(household.area_id, as_of), findings=findings)
    now = timezone.now()
    with transaction.atomic(durable=True):
        run = VerificationRun.objects.create(
            kind=RunKind.HOUSEHOLD, area_code=household.area_id, household_id=household.pk,
            case_id=case.pk if case else None, as_of=as_of, status=RunStatus.DONE,
            findings_storage=FindingsStorage.DATABASE, snapshots={r.dataset: r.id for r in refs},
            households_total=1, households_done=1, chunks_total=1, chunks_done=1, findings_count=online.findings.num_rows,
            flagged_households=1 if result_flags else 0, requested_by=actor.username, requested_role=actor.role,
            requested_area=actor.area_code, started_at=now, finished_at=now, attempts=1)
        engine.insert_rows(run, assessments, online.findings, snapshots)
        VerificationChunk.objects.create(run=run, number=0, first_household_id=household.pk, last_household_id=household.pk,
                                         households=1, findings=online.findings.num_rows, done_at=now)
        record_event(actor=actor, action="verification.verify_household", obj=run,
                     after={"household": household.pk, "case": case.pk if case else None, "flags": result_flags,
                            "findings": online.findings.num_rows, "snapshots": run.snapshots,
                            "missing_or_out_of_date": [c.dataset for c in gaps(coverage)]})
    result = HouseholdResult.objects.get(run=run, household_id=household.pk)
    report_id = None
    if case is not None and is_complete(coverage):
        report_id = attach_to_case(actor=actor, run=run, result=result, findings=findings, case_id=case.pk,
                                   coverage=coverage)
    return HouseholdReport(run=run, result=result, findings=findings, case_report_id=report_id, coverage=coverage)


def attach_to_case(*, actor: Actor, run: VerificationRun, result: HouseholdResult, findings: list[dict], case_id: int,
                   coverage=()) -> int:
    """File the result on the case through the cases app's own service (its transition, its audit),
    with what the report knew per dataset (and the reasons given for what was missing)."""
    case = Case.objects.only("id", "snapshot").get(pk=case_id)
    report = record_engine_verification(
        actor=actor, case_id=case_id, summary=summary_text(result, len(findings), coverage),
        findings=case_findings(run, result, findings, case.snapshot or {}, coverage),
        total_monthly_income=result.counted_income, total_financial_assets=result.financial_assets)
    return report.pk


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------

def _batch_households(actor: Actor, kind: str, area_code: str, as_of: dt.date) -> tuple[list[int], dict]:
    """The households of a batch, with what the run notes about them (cases, enrollments, skipped)."""
    from safetynet.enrollments.models import LIVE_STATUSES, Enrollment, Recheck, RecheckStatus

    notes: dict = {}
    if kind == RunKind.CASES:
        rows = list(in_scope(Case.objects.filter(status=Status.SURVEYED, is_open=True), actor)
                    .filter(area__code__startswith=area_code).values_list("id", "household_id", "authorization_signed_at"))
        notes["cases"] = {str(c): h for c, h, signed in rows if signed}
        notes["skipped_no_authorization"] = sorted(c for c, h, signed in rows if not signed)
        return sorted({h for c, h, signed in rows if signed}), notes
    if kind == RunKind.DUE:
        # Due: the re-check date has come, or a re-check is open (opened ahead of its date, or by a
        # report or department data); its report is filed on the re-check (_attach_rechecks).
        open_recheck = Recheck.objects.filter(enrollment_id=OuterRef("pk"), status=RecheckStatus.OPEN)
        due = Enrollment.objects.filter(Q(next_recheck_date__lte=as_of) | Exists(open_recheck), status__in=LIVE_STATUSES)
        rows = list(in_scope(due, actor)
                    .filter(area__code__startswith=area_code)
                    .values_list("id", "household_id", "case__authorization_signed_at"))
        notes["enrollments"] = {str(e): h for e, h, signed in rows if signed}
        notes["skipped_no_authorization"] = sorted(e for e, h, signed in rows if not signed)
        return sorted({h for e, h, signed in rows if signed}), notes
    if kind == RunKind.COUNTY:
        households = (in_scope(Case.objects.filter(authorization_signed_at__isnull=False), actor)
                      .filter(area__code__startswith=area_code).values_list("household_id", flat=True).distinct())
        return sorted(set(households)), notes
    raise ValidationError(_("No such kind of verification: %(k)s.") % {"k": kind}, field="kind")


def start_run(*, actor: Actor, kind: str, area_code: str = "", chunk_size: int = DEFAULT_CHUNK_HOUSEHOLDS,
              household_ids: list[int] | None = None) -> VerificationRun:
    """Create a batch run and export its households (step 1 of engine.py). `household_ids`
    (tests, the demo's accuracy check) names the households directly, bypassing the selection —
    only the system may do that."""
    actor.require("verification.run")
    area_code = (area_code or actor.area_code or "").strip()
    if kind == RunKind.COUNTY and len(area_code) != 6:
        raise ValidationError(_("Give a county code (6 digits)."), field="area_code")
    actor.require_area(area_code)
    as_of = _today()
    if household_ids is not None:
        if not actor.is_national:
            raise ValidationError(_("Only the system may name households directly."), field="household_ids")
        households, notes = sorted(set(int(h) for h in household_ids)), {"named": True}
    else:
        households, notes = _batch_households(actor, kind, area_code, as_of)
    refs = current_snapshot_refs()
    storage_kind = (FindingsStorage.DATABASE if kind == RunKind.CASES or len(households) <= DATABASE_FINDINGS_MAX_HOUSEHOLDS
                    else FindingsStorage.PARQUET)
    with transaction.atomic(durable=True):
        run = VerificationRun.objects.create(
            kind=kind, area_code=area_code, as_of=as_of, status=RunStatus.PENDING, findings_storage=storage_kind,
            snapshots={r.dataset: r.id for r in refs}, households_total=len(households),
            chunks_total=(len(households) + chunk_size - 1) // chunk_size if households else 0,
            requested_by=actor.username, requested_role=actor.role, requested_area=actor.area_code, notes=notes)
        record_event(actor=actor, action="verification.start_run", obj=run,
                     after={"kind": kind, "area": area_code, "households": len(households), "snapshots": run.snapshots})
    members, household_table = export_households(households, chunk_size=chunk_size)
    engine.write_members(storage.run_dir(run.pk), members, household_table)
    return run


def process_run(*, actor: Actor, run_id: int, stop_after_chunks: int | None = None, progress=None) -> VerificationRun:
    """Steps 2 and 3 of a run (engine.py), resuming after the last chunk done; then, for a run
    of cases, the reports filed on each case. Idempotent: a finished run is returned as it is."""
    actor.require("verification.run")
    run = _load_run(actor, run_id)
    if run.status == RunStatus.DONE:
        return run
    run_path = storage.run_dir(run.pk)
    if not (run_path / "members.parquet").exists():
        raise RunNotResumable(_("Run #%(id)d lost its exported households: start a new run.") % {"id": run.pk})
    refs = snapshot_refs_of(run)
    VerificationRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, attempts=run.attempts + 1,
                                                     started_at=run.started_at or timezone.now(), error="")
    run.refresh_from_db()
    try:
        run = engine.process_run(run, snapshots=refs, resolver=engine.ParameterResolver(run.as_of),
                                 stop_after_chunks=stop_after_chunks, progress=progress,
                                 more_findings=identity.write_linked_findings)
    except engine.Interrupted:
        raise
    except Exception as error:  # the run stays resumable; the error is kept for the page and the CLI
        VerificationRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=str(error)[:2000])
        raise
    if run.kind == RunKind.CASES:
        _attach_cases(actor, run)
    elif run.kind == RunKind.DUE:
        _attach_rechecks(actor, run)
    with transaction.atomic(durable=True):
        record_event(actor=actor, action="verification.finish_run", obj=run,
                     after={"households": run.households_done, "flagged": run.flagged_households,
                            "findings": run.findings_count, "seconds": round(run.seconds or 0, 2)})
    run.refresh_from_db()
    return run


def record_run_interruption(*, run_id: int, interruption) -> None:
    """The worker running the run died (core/workers.py): the run waits for the next attempt,
    saying so ("interrupted, retried: attempt 2 of 3"; process_run resumes after the last chunk
    done), or, after the last, is failed with what to do. A finished run is left as it is."""
    run = VerificationRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status in (RunStatus.DONE, RunStatus.FAILED):
        return
    notes = dict(run.notes, retry={"attempt": interruption.attempt + 1 if interruption.retried else interruption.attempt,
                                   "of": interruption.max_attempts})
    if interruption.retried:
        VerificationRun.objects.filter(pk=run.pk).update(status=RunStatus.PENDING, notes=notes)
    else:
        VerificationRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, notes=notes, finished_at=timezone.now(),
                                                         error=interruption.message())


def _load_run(actor: Actor, run_id) -> VerificationRun:
    try:
        run = VerificationRun.objects.get(pk=int(run_id))
    except (VerificationRun.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found."))
    if not actor.covers(run.area_code):
        raise NotFound(_("Not found."))
    return run


def snapshot_refs_of(run: VerificationRun) -> list[engine.SnapshotRef]:
    """The snapshots the run started with (a resumed run reads the same data)."""
    ids = list((run.snapshots or {}).values())
    rows = Snapshot.objects.filter(pk__in=ids)
    return [engine.SnapshotRef(s.pk, s.dataset, s.taken_on, storage.absolute(s.path),
                               storage.absolute(s.index_path) if s.index_path else None) for s in rows]


def _attach_cases(actor: Actor, run: VerificationRun) -> None:
    attached = dict(run.notes.get("attached", {}))
    errors = dict(run.notes.get("attach_errors", {}))
    awaiting = dict(run.notes.get("awaiting_sign_off", {}))   # case → result: missing or old data, filed at sign-off
    for case_id, household_id in (run.notes.get("cases") or {}).items():
        if case_id in attached or case_id in awaiting:
            continue
        if VerificationReport.objects.filter(case_id=int(case_id), source="engine", findings__run=run.pk).exists():
            continue
        result = HouseholdResult.objects.filter(run=run, household_id=household_id).first()
        if result is None:
            continue
        findings = findings_for_household(run, household_id)
        coverage = coverage_of(run, result.area_code, findings)
        if not is_complete(coverage):
            awaiting[case_id] = result.pk
            continue
        try:
            attached[case_id] = attach_to_case(actor=actor, run=run, result=result, findings=findings,
                                               case_id=int(case_id), coverage=coverage)
        except SafetyNetError as error:
            errors[case_id] = error.message
    notes = dict(run.notes, attached=attached, attach_errors=errors, awaiting_sign_off=awaiting)
    VerificationRun.objects.filter(pk=run.pk).update(notes=notes)
    run.notes = notes


def _attach_rechecks(actor: Actor, run: VerificationRun) -> None:
    """File each report on the re-check that asked for it, through payments' own service."""
    from safetynet.enrollments.rechecks import attach_due_run

    attached = dict(run.notes.get("rechecks", {}), **attach_due_run(actor=actor, run=run))
    notes = dict(run.notes, rechecks=attached)
    VerificationRun.objects.filter(pk=run.pk).update(notes=notes)
    run.notes = notes


def run_verification(*, actor: Actor, kind: str, area_code: str = "", chunk_size: int = DEFAULT_CHUNK_HOUSEHOLDS,
                     household_ids: list[int] | None = None, progress=None) -> VerificationRun:
    """Start a batch run and carry it through (what the CLI and the background job call)."""
    run = start_run(actor=actor, kind=kind, area_code=area_code, chunk_size=chunk_size, household_ids=household_ids)
    return process_run(actor=actor, run_id=run.pk, progress=progress)
