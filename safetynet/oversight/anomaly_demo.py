"""The demo county's anomaly report (issue 18 part 6), built through the services a real office
uses, deterministically (seeded).

After the months of office work, `build_anomaly_report` plants the two anomalies the demo's own
data does not make, the way they arise: a death the public-security bureau records after the
month's payroll was generated (the deaths snapshot sent again with one more row, through
`verification.services.import_snapshot`), and household surveys a worker recorded in a few
minutes (an application taken, accepted and surveyed through the cases' services). It then runs
the report as the county officer and says what some findings were (one explained, one
rectified), leaving the rest open for the demo logins to work.
"""
from __future__ import annotations

import datetime as dt
import io
import random

import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.areas.actors import actor_for_post
from safetynet.areas.models import Post
from safetynet.cases import services as case_services
from safetynet.cases.models import Case
from safetynet.core.idnumbers import make_id_number
from safetynet.core.scoping import Actor
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.payroll.models import Payment
from safetynet.registry.models import Person
from safetynet.verification.selectors import current_snapshots
from safetynet.verification import storage
from safetynet.verification.services import import_snapshot

from .anomaly_models import AnomalyFinding, AnomalyKind, AnomalyStatus
from .anomaly_run import DEATHS, add_months, run_anomalies
from .anomaly_services import set_finding_status

SHORT_SURVEYS = 2


def _post_actor(username: str, role: str) -> Actor | None:
    post = (Post.objects.filter(user__username=username, role=role, is_active=True).select_related("area", "user")
            .order_by("pk").first())
    return actor_for_post(post) if post else None


def plant_death_after_payroll(actor: Actor, county: str, rnd: random.Random) -> int | None:
    """A person paid alone (an individual enrollment, or a household of one) in the newest month
    of payroll, whose death the bureau dates in the month before: the deaths snapshot is sent
    again with that row added. Returns the person, or None when no such line exists."""
    newest = Payment.objects.filter(area__code__startswith=county).order_by("-month").values_list("month", flat=True).first()
    if newest is None:
        return None
    lines = list(Payment.objects.filter(area__code__startswith=county, month=newest, enrollment__status__in=LIVE_STATUSES)
                 .order_by("pk").values_list("enrollment_id", flat=True)[:2000])
    alone = []
    for enrollment_id, household_id, person_id in (Enrollment.objects.filter(pk__in=lines).order_by("pk")
                                                   .values_list("pk", "household_id", "person_id")):
        living = list(Person.objects.filter(household_id=household_id, is_deceased=False).values_list("pk", flat=True))
        if person_id or len(living) == 1:
            alone.append(person_id or living[0])
    if not alone:
        return None
    person = Person.objects.get(pk=rnd.choice(alone))
    died = add_months(newest, -1) + dt.timedelta(days=rnd.randint(2, 20))
    rows = {"id_number": [person.id_number], "death_date": [died]}
    current = current_snapshots().filter(dataset=DEATHS).first()
    if current is not None:
        old = pq.read_table(storage.absolute(current.path), columns=["id_number", "death_date"]).to_pydict()
        rows = {k: list(old[k]) + rows[k] for k in rows}
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id_number": pa.array(rows["id_number"], pa.string()),
                             "death_date": pa.array(rows["death_date"], pa.date32())}), buffer)
    buffer.seek(0)
    import_snapshot(actor=actor, dataset_code=DEATHS, source=buffer, filename="public_security_deaths.parquet",
                    taken_on=died + dt.timedelta(days=3))
    return person.pk


def plant_short_surveys(worker: Actor, day: dt.date, rnd: random.Random, count: int = SHORT_SURVEYS) -> list[int]:
    """Applications taken at the town's window and surveyed by the worker in a few minutes."""
    busy = set(Case.objects.filter(is_open=True).values_list("household_id", flat=True))
    busy |= set(Enrollment.objects.filter(status__in=LIVE_STATUSES).values_list("household_id", flat=True))
    heads = list(Person.objects.filter(area__code__startswith=worker.area_code, relation_to_head="head",
                                       is_deceased=False).exclude(household_id__in=busy)
                 .order_by("pk").values_list("household_id", "pk")[:200])
    rnd.shuffle(heads)
    made = []
    for household_id, head_id in heads[:count]:
        case = case_services.apply_for_assistance(actor=worker, program_code="dibao", household_id=household_id,
                                                  applicant_id=head_id, channel="walk_in", accept=True)
        investigators = [{"name": name, "id_number": make_id_number("130123", dt.date(1980 + n, 3, 1), 40 + n,
                                                                    "male" if n else "female")}
                         for n, name in enumerate(("赵敏", "钱伟"))]
        case_services.record_survey(actor=worker, case_id=case.pk, conducted_on=day, investigators=investigators,
                                    findings="入户查看住房与收入情况。", signed_by_household=True,
                                    duration_minutes=rnd.randint(6, 12))
        made.append(case.pk)
    return made


def build_anomaly_report(actor: Actor | None = None, today: dt.date | None = None, *, county: str = "130123",
                         seed: int = 18) -> dict:
    """Plant what the demo lacks, run the report of the month as the county officer, and give a
    few findings their status. Returns counts (a second call plants again, finds only that)."""
    rnd = random.Random(seed)
    officer = actor or _post_actor("county_officer", "county_officer")
    worker = _post_actor("town_worker", "town_worker")
    day = today or dt.date.today()
    counts = {}
    if not AnomalyFinding.objects.filter(kind=AnomalyKind.DECEASED_PAID).exists():
        counts["planted_death"] = int(plant_death_after_payroll(officer, county, rnd) is not None)
    if worker is not None and not AnomalyFinding.objects.filter(kind=AnomalyKind.SHORT_SURVEYS).exists():
        counts["planted_short_surveys"] = len(plant_short_surveys(worker, day, rnd))
    run = run_anomalies(officer, county, day.replace(day=1))
    counts.update({f"found_{k}": v for k, v in (run.found or {}).items()})
    counts["new_findings"] = sum((run.counts or {}).values())
    open_ = list(AnomalyFinding.objects.filter(run=run, status=AnomalyStatus.OPEN).order_by("kind", "pk"))
    shorts = [f for f in open_ if f.kind == AnomalyKind.SHORT_SURVEYS]
    if shorts:
        set_finding_status(actor=officer, finding_id=shorts[0].pk, status=AnomalyStatus.RECTIFIED,
                           note="已安排两名调查员重新入户调查，调查记录已补正。")
        counts["rectified"] = 1
    others = [f for f in open_ if f.kind != AnomalyKind.SHORT_SURVEYS] or shorts[1:]
    if others:
        set_finding_status(actor=officer, finding_id=others[0].pk, status=AnomalyStatus.EXPLAINED,
                           note="经核实，该情况已在审批时说明，属正常情形。")
        counts["explained"] = 1
    counts["run"] = run.pk
    return counts

