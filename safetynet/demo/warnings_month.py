"""A month of warnings in the demo county (issue 17 part 4), through the services only.

The county officer tunes two rules (the medical threshold, the unemployment level); the departments
send their month: the disabled persons' federation its certificates, emergency management a flood
list, and public security, HRSS and medical insurance their deaths, unemployment registrations and
self-paid medical costs, each added to the current snapshot the verification demo imported (its
planted facts stay) and imported again through `verification.services.import_snapshot`. The
register is refreshed, a town worker flags two households at risk, the monthly run raises the
warnings and opens the leads, and over the next working days about half of the leads are visited
and ended (helped, not in need, not found), a quarter acknowledged with the visit to come and a
quarter not yet seen, so the rule pages show hit rates and the queues some work left.
"""
from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.areas.actors import actor_for_post, system_actor
from safetynet.areas.models import Post
from safetynet.core.errors import SafetyNetError
from safetynet.discovery import register, services, warning_rules
from safetynet.discovery.models import Lead, OPEN_STATUSES
from safetynet.discovery.warning_models import Warning
from safetynet.discovery.warning_run import run_warnings
from safetynet.registry.models import Household, Person
from safetynet.verification import storage
from safetynet.verification.schemas import DATASETS
from safetynet.verification.selectors import current_snapshot_refs
from safetynet.verification.services import import_snapshot

ARROW_TYPES = {"date": pa.date32(), "money": pa.decimal128(14, 2), "month": pa.date32(), "number": pa.float64()}


def _post(username: str) -> Post | None:
    return Post.objects.filter(user__username=username, is_active=True).select_related("area").order_by("id").first()


def _send(code: str, rows: list[dict], day: dt.date) -> int:
    """The dataset's current snapshot with `rows` added (rows whose key is already there are left
    out), imported as the department's new snapshot."""
    dataset = DATASETS[code]
    columns = dataset.column_names
    types = {c.name: ARROW_TYPES.get(c.type, pa.string()) for c in dataset.columns}
    old = []
    ref = next((r for r in current_snapshot_refs() if r.dataset == code), None)
    if ref is not None and Path(ref.path).exists():
        old = pq.read_table(ref.path, columns=columns).to_pylist()
    key = [k if k != "identity" else "id_number" for k in dataset.key]
    seen = {tuple(r.get(k) for k in key) for r in old}
    new = [r for r in rows if tuple(r.get(k) for k in key) not in seen]
    if not new:
        return 0
    table = pa.table({c: pa.array([r.get(c) for r in old + new], types[c]) for c in columns})
    folder = Path(tempfile.mkdtemp(dir=storage.tmp_dir()))
    path = folder / f"{code}-{day:%Y%m%d}.parquet"
    pq.write_table(table, path)
    try:
        import_snapshot(actor=system_actor(), dataset_code=code, source=path, filename=path.name, taken_on=day)
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()
    return len(new)


def warnings_month(*, county: str, rnd: random.Random, day: dt.date, at: Callable[[dt.date], None]) -> dict:
    at(day)
    counts: dict = {}
    officer = actor_for_post(_post("county_officer"))
    worker_post = _post("town_worker")
    worker = actor_for_post(worker_post) if worker_post else officer

    warning_rules.save_warning_rule(actor=officer, county_code=county, cause="medical", level="orange",
                                    parameters={"threshold": "15000", "months": 12},
                                    note="县里大病自付负担较重，门槛下调")
    warning_rules.save_warning_rule(actor=officer, county_code=county, cause="unemployment", level="yellow",
                                    parameters={"lookback_months": 2, "population": "all"})

    people = list(Person.objects.filter(area__code__startswith=county, is_deceased=False)
                  .order_by("id").values_list("id_number", "household_id"))
    rnd.shuffle(people)
    n = max(3, len(people) // 1000)
    picks = iter(people)

    def take(k):
        return [next(picks) for _ in range(k)]

    yesterday = day - dt.timedelta(days=1)
    recent = [day - dt.timedelta(days=d) for d in range(1, 25)]
    counts["deaths_sent"] = _send("public_security_deaths", [
        {"id_number": i, "death_date": rnd.choice(recent)} for i, _h in take(n)], day)
    counts["certificates_sent"] = _send("disability_certificates", [
        {"id_number": i, "certificate_no": f"13012{rnd.randrange(10**9):09d}", "category": rnd.choice(
            ["physical", "visual", "hearing", "intellectual", "mental"]), "grade": rnd.choice("1122334"),
         "issued_on": rnd.choice(recent)} for i, _h in take(n)], day)
    counts["unemployment_sent"] = _send("unemployment", [
        {"id_number": i, "monthly_amount": Decimal("1480.00"), "since": rnd.choice(recent)} for i, _h in take(n)], day)
    medical = []
    first = day.replace(day=1)
    for i, _h in take(n):
        for m in range(rnd.randint(3, 8)):
            index = first.year * 12 + first.month - 2 - m
            month_end = dt.date(index // 12, index % 12 + 1, 28)
            medical.append({"id_number": i, "self_paid": Decimal(f"{rnd.uniform(1500, 6000):.2f}"), "period_end": month_end})
    counts["medical_rows_sent"] = _send("medical_costs", medical, day)
    flooded = list(Household.objects.filter(pk__in=[h for _i, h in take(n)]).values_list("address", flat=True))
    counts["disaster_rows_sent"] = _send("disaster_addresses", [
        {"event": f"{day:%Y年%m月}暴雨洪涝", "occurred_on": yesterday, "address": a} for a in flooded if a], day)

    refreshed = register.refresh_monitoring_register(officer, county, on=day)
    counts["register_added"] = refreshed.added
    flagged = 0
    for household_id in (Household.objects.filter(area__code__startswith=worker.area_code).order_by("pk")
                         .values_list("pk", flat=True)[:2]):
        try:
            register.flag_household(actor=worker, household_id=household_id, category="at_risk",
                                    reason="主要劳动力外出务工受伤，收入中断")
            flagged += 1
        except SafetyNetError:
            pass
    counts["flagged_at_risk"] = flagged

    result = run_warnings(officer, county, day)
    counts.update(warnings_raised=result.raised, leads_opened=result.leads_opened, leads_joined=result.leads_joined)

    leads = list(Lead.objects.filter(pk__in=Warning.objects.filter(run_id=result.run_id).values("lead_id"),
                                     status__in=OPEN_STATUSES).order_by("pk"))
    ended = Counter()
    later = day
    for number, lead in enumerate(leads):
        if number % 4 == 3:
            continue          # a quarter not yet seen (they climb when overdue)
        later = day + dt.timedelta(days=1 + number % 3)
        at(later)
        actor = worker if worker.covers(lead.area_id) else officer
        if number % 4 == 1:   # a quarter acknowledged, the visit still to come
            try:
                services.acknowledge_lead(actor=actor, lead_id=lead.pk)
                counts["acknowledged"] = counts.get("acknowledged", 0) + 1
            except SafetyNetError:
                ended["refused"] += 1
            continue
        roll = rnd.random()
        try:
            if roll < 0.55:
                services.record_visit(actor=actor, lead_id=lead.pk, in_need=True, note="入户核实，家庭确有困难")
                services.close_lead(actor=actor, lead_id=lead.pk, reason="helped_otherwise",
                                    note="已给予临时救助")
                ended["helped"] += 1
            elif roll < 0.85:
                services.record_visit(actor=actor, lead_id=lead.pk, in_need=False, note="入户核实，生活尚可")
                services.close_lead(actor=actor, lead_id=lead.pk, reason="not_in_need")
                ended["not_in_need"] += 1
            else:
                services.close_lead(actor=actor, lead_id=lead.pk, reason="not_found", note="多次上门无人")
                ended["not_found"] += 1
        except SafetyNetError:
            ended["refused"] += 1
    counts.update({f"ended_{k}": v for k, v in ended.items()})
    at(later)
    return counts

