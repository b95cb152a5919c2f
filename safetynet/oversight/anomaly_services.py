"""The anomaly reports' reads and writes, shared by the pages, the API, the command and the demo:
which runs and findings a post sees, starting a run in the background, and saying what a finding
was (explained, rectified) with a note."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import checked_choice, clean_field
from safetynet.discovery.warning_run import month_start

from .anomaly_models import AnomalyFinding, AnomalyKind, AnomalyRun, AnomalyRunStatus, AnomalyStatus
from .anomaly_run import ANOMALIES, county_in_scope
from .anomaly_tasks import run_anomalies_job

VIEW = "oversight.view"


def runs_in_scope(actor: Actor) -> QuerySet[AnomalyRun]:
    """The runs of the post's county (a town's post sees its county's), or of the counties under it."""
    actor.require(VIEW)
    runs = AnomalyRun.objects.select_related("area")
    if actor.is_national:
        return runs
    return runs.filter(Q(area__code__startswith=actor.area_code) | Q(area_id=actor.area_code[:6]))


def get_run(actor: Actor, run_id) -> AnomalyRun:
    try:
        return runs_in_scope(actor).get(pk=int(run_id))
    except (AnomalyRun.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such anomaly report."))


def findings_in_scope(actor: Actor, *, run_id=None, kind: str = "", status: str = "", town: str = "",
                      q: str = "") -> QuerySet[AnomalyFinding]:
    """The findings in the post's area, filtered by run, kind, status, town and a search on the
    worker's name or the household's number."""
    actor.require(VIEW)
    rows = in_scope(AnomalyFinding.objects.select_related("area", "staff_user", "run"), actor)
    if run_id:
        rows = rows.filter(run_id=run_id)
    if kind in AnomalyKind.values:
        rows = rows.filter(kind=kind)
    if status in AnomalyStatus.values:
        rows = rows.filter(status=status)
    if town and town.isdigit() and len(town) == 9:
        rows = rows.filter(area__code__startswith=town)
    q = (q or "").strip()
    if q:
        search = Q(staff_user__username__icontains=q) | Q(area__name__icontains=q)
        if q.isdigit():
            search |= Q(household_id=int(q)) | Q(case_id=int(q)) | Q(enrollment_id=int(q))
        rows = rows.filter(search)
    return rows.order_by("status", "kind", "-id")


def get_finding(actor: Actor, finding_id) -> AnomalyFinding:
    actor.require(VIEW)
    try:
        pk = int(finding_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found.")) from None
    return get_in_scope(AnomalyFinding.objects.select_related("area", "staff_user", "run", "complaint"), actor, pk=pk)


def counts_by_kind(findings: QuerySet[AnomalyFinding]) -> list[dict]:
    """[{kind, label, open, explained, rectified, total}] for every kind, in the kinds' order."""
    rows = {}
    for row in findings.order_by().values("kind", "status").annotate(n=Count("id")):
        rows.setdefault(row["kind"], {})[row["status"]] = row["n"]
    return [{"kind": k.value, "label": str(k.label), **{s: rows.get(k.value, {}).get(s, 0) for s in AnomalyStatus.values},
             "total": sum(rows.get(k.value, {}).values())} for k in AnomalyKind]


def start_anomaly_run(*, actor: Actor, county_code: str, month) -> AnomalyRun:
    """Check what the run needs (403, 404, a bad month), record it queued and queue its job."""
    actor.require(ANOMALIES)
    county = county_in_scope(actor, county_code)
    month = month_start(month)
    with transaction.atomic():
        run = AnomalyRun.objects.create(area=county, month=month, started_by_id=actor.user_id, post_id=actor.post_id,
                                        status=AnomalyRunStatus.QUEUED, progress={"step": "queued", "done": 0, "total": 1})
        record_event(actor=actor, action="oversight.start_anomaly_run", obj=run,
                     after={"county": county.code, "month": month.strftime("%Y-%m")})
        transaction.on_commit(lambda: run_anomalies_job.enqueue(run.pk))
    return run


@transaction.atomic(durable=True)
def set_finding_status(*, actor: Actor, finding_id, status: str, note: str) -> AnomalyFinding:
    """Say what a finding was: explained (it is right after all, and why) or rectified (what was
    put right), with a note; or open it again. The county's post that runs the reports does it."""
    actor.require(ANOMALIES)
    finding = get_finding(actor, finding_id)
    actor.require_area(finding.area_id)
    status = checked_choice(status, AnomalyStatus.values, "status", _("Choose explained, rectified or to look into."))
    note = clean_field(note, "note", max_length=2000, multiline=True, required=status != AnomalyStatus.OPEN)
    finding = AnomalyFinding.objects.select_for_update().get(pk=finding.pk)
    if finding.status == status and finding.note == note:
        raise ValidationError(_("The finding already has this status and note."), field="status")
    before = {"status": finding.status, "note": finding.note}
    finding.status, finding.note = status, note
    finding.resolved_by = actor.username if status != AnomalyStatus.OPEN else ""
    finding.resolved_at = timezone.now() if status != AnomalyStatus.OPEN else None
    finding.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    record_event(actor=actor, action="oversight.set_anomaly_status", obj=finding, before=before,
                 after={"status": status, "note": note})
    return finding
