"""Reads of verification data, through the actor's scope where they concern households.

Snapshots are department-wide (not an area's), so their list needs only the permission; runs,
results and findings are narrowed to the actor's area (out of scope → NotFound, 404).
"""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext

from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor

from . import storage
from .department_accounts import department_of
from .engine import SnapshotRef, read_findings
from .models import Finding, FindingsStorage, HouseholdResult, Snapshot, SnapshotStatus, VerificationRun

FINDING_VALUES = ("household_id", "person_id", "id_number", "source", "department", "snapshot_id", "snapshot_taken_on",
                  "item", "counted", "monthly_amount", "value", "subject", "detail", "record_date", "record_key")


def current_snapshots() -> QuerySet[Snapshot]:
    return Snapshot.objects.filter(status=SnapshotStatus.CURRENT).order_by("dataset")


def current_snapshots_for(actor: Actor) -> QuerySet[Snapshot]:
    """The current snapshots `actor` may list: every dataset's with "verification.view"; a
    department's login, its own department's only (to check what it sent), and nothing else of
    verification."""
    department = department_of(actor)
    if department is not None:
        return current_snapshots().filter(department=department)
    actor.require("verification.view")
    return current_snapshots()


def current_snapshot_refs():
    """The current snapshot of every dataset, as the engine reads them (one query)."""
    return [SnapshotRef(s["id"], s["dataset"], s["taken_on"], storage.absolute(s["path"]),
                        storage.absolute(s["index_path"]) if s["index_path"] else None)
            for s in current_snapshots().values("id", "dataset", "taken_on", "path", "index_path")]


def snapshots_list(actor: Actor, *, dataset: str | None = None) -> QuerySet[Snapshot]:
    actor.require("verification.view")
    qs = Snapshot.objects.all()
    return qs.filter(dataset=dataset) if dataset else qs


def runs_in_scope(actor: Actor) -> QuerySet[VerificationRun]:
    actor.require("verification.view")
    qs = VerificationRun.objects.all()
    if actor.is_national:
        return qs
    return qs.filter(area_code__startswith=actor.area_code)


def get_run(actor: Actor, run_id) -> VerificationRun:
    try:
        return runs_in_scope(actor).get(pk=int(run_id))
    except (VerificationRun.DoesNotExist, TypeError, ValueError):
        raise NotFound(gettext("Not found."))


def results_of(actor: Actor, run_id, *, flagged_only: bool = False) -> QuerySet[HouseholdResult]:
    run = get_run(actor, run_id)
    qs = HouseholdResult.objects.filter(run=run)
    if not actor.is_national:
        qs = qs.filter(area_code__startswith=actor.area_code)
    return qs.filter(flagged=True) if flagged_only else qs


def latest_result_for_household(actor: Actor, household_id: int) -> HouseholdResult | None:
    actor.require("verification.view")
    qs = HouseholdResult.objects.filter(household_id=household_id, run__status="done").select_related("run").order_by("-run_id")
    if not actor.is_national:
        qs = qs.filter(area_code__startswith=actor.area_code)
    return qs.first()


def findings_for_household(run: VerificationRun, household_id: int) -> list[dict]:
    """A household's findings in a run, as dicts (FINDING_VALUES), from the database or the run's
    Parquet files, whichever the run kept them in. Callers check scope on the run or result."""
    if run.findings_storage == FindingsStorage.DATABASE:
        return list(Finding.objects.filter(run=run, household_id=household_id)
                    .order_by("person_id", "source", "record_key").values(*FINDING_VALUES))

    snapshots = {s["dataset"]: s for s in Snapshot.objects.filter(pk__in=list((run.snapshots or {}).values()))
                 .values("id", "dataset", "taken_on")}
    rows = []
    for row in read_findings(run, household_id):
        snapshot = snapshots.get(row["source"], {})
        rows.append({**{k: row.get(k) for k in FINDING_VALUES if k in row}, "snapshot_id": snapshot.get("id", 0),
                     "snapshot_taken_on": snapshot.get("taken_on"), "subject": row.get("subject") or "",
                     "detail": row.get("detail") or ""})
    return rows
