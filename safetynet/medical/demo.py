"""Medical assistance in the demo county (issue 20), through the services a county uses: two
designated institutions registered with their keys (the county's people's hospital and a
township health centre), two people certified as returned to poverty, a month of one-stop
settlements at both cashiers (each bill sent as the cashier system sends it; a few capped, a
retry answered the same, a refund reversed, a different bill under a settled visit number
refused), a few this month, the institutions' claims, last month's statements generated and
reconciled (one matching, one with a visit missing from the claim), one approved and charged to
the medical assistance budget, and the month's warning run again, in which one household's
large self-paid bills raise a warning and a lead (the feed of part 5).
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Callable

from django.db import models

from safetynet.core.errors import SafetyNetError
from safetynet.core.scoping import Actor
from safetynet.core.workdays import is_working_day
from safetynet.discovery.warning_models import MonitoredHousehold
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.registry.models import Person

from safetynet.cases import services as case_services

from safetynet.discovery.warning_run import run_warnings
from safetynet.funding import budgets
from safetynet.funding.models import BudgetKind

from . import catalogue, certifications, institutions, keys, reimbursement, settlements, statements
from .models import CategoryTerms, MedicalCategory, Settlement, SettlementStatus

CENT = Decimal("0.01")


def _people(county: str, rnd: random.Random, since: dt.date) -> dict[str, list[str]]:
    """ID numbers of living people by how they qualify: dibao and special hardship (the household
    for household coverage, the person for individual coverage), the register's entries current
    since `since` (the first bills' day)."""
    pools: dict[str, list[str]] = {}
    for program in ("dibao", "special_hardship"):
        rows = list(Enrollment.objects.filter(area__code__startswith=county, status__in=LIVE_STATUSES, program_id=program)
                    .values_list("household_id", "person_id"))
        persons = [p for _h, p in rows if p]
        households = [h for h, p in rows if not p]
        pools[program] = list(Person.objects.filter(is_deceased=False).filter(
            models.Q(pk__in=persons) | models.Q(household_id__in=households)).order_by("pk").values_list("id_number", flat=True))
    registered = (MonitoredHousehold.objects.filter(area__code__startswith=county, until__isnull=True, since__lte=since,
                                                    category__in=("margin", "at_risk", "rigid_expenses"))
                  .values_list("household_id", flat=True))
    pools["register"] = list(Person.objects.filter(household_id__in=registered, is_deceased=False)
                             .order_by("pk").values_list("id_number", flat=True))
    for pool in pools.values():
        rnd.shuffle(pool)
    return pools


def _bill(rnd: random.Random, id_number: str, visit: str, day: dt.date, *, big: bool = False) -> dict:
    """A bill after the two insurances, its parts adding up to the total."""
    stay = rnd.randint(0, 12)
    eligible = Decimal(rnd.lognormvariate(7.6, 0.9) if not big else rnd.uniform(30000, 45000)).quantize(CENT)
    ineligible = (eligible * Decimal(rnd.uniform(0.05, 0.4))).quantize(CENT)
    basic = (eligible * Decimal(rnd.uniform(1.2, 2.5))).quantize(CENT)
    critical = (eligible * Decimal(rnd.uniform(0, 0.6))).quantize(CENT) if eligible > 5000 else Decimal("0.00")
    total = basic + critical + eligible + ineligible
    return {"visit_number": visit, "id_number": id_number, "admitted_on": (day - dt.timedelta(days=stay)).isoformat(),
            "discharged_on": day.isoformat(), "total_cost": f"{total:.2f}", "basic_insurance_paid": f"{basic:.2f}",
            "critical_illness_paid": f"{critical:.2f}", "eligible_self_paid": f"{eligible:.2f}",
            "ineligible_self_paid": f"{ineligible:.2f}"}


def build_medical_demo(*, county: str, today: dt.date, seed: int, actor_of: Callable[[str], Actor],
                       at: Callable[[dt.date], None]) -> dict:
    rnd = random.Random(f"{seed}:medical")
    catalogue.seed(MedicalCategory, CategoryTerms)   # as the migration does (a flushed test database has none)
    officer, leader, worker = actor_of("county_officer"), actor_of("county_leader"), actor_of("town_worker")
    counts: Counter = Counter()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    contract_from = dt.date(today.year - 1, 1, 1)
    contract_until = dt.date(today.year + 2, 12, 31)

    # 1. The designated institutions and their keys (the secrets go to the hospitals' systems).
    hospital = institutions.register_institution(
        actor=officer, code="H13012300001", name="正定县人民医院", kind="hospital", area_code=county,
        contract_from=contract_from, contract_until=contract_until, bank_name="中国农业银行",
        bank_account="622848001000000001", account_name="正定县人民医院")
    centre_town = worker.area_code[:9]
    centre = institutions.register_institution(
        actor=officer, code="H13012310001", name="正定镇卫生院", kind="township_centre", area_code=centre_town,
        contract_from=contract_from, contract_until=contract_until, bank_name="河北省农村信用社",
        bank_account="621021001000000002", account_name="正定镇卫生院")
    cashiers = {}
    for institution in (hospital, centre):
        _key, secret = keys.issue_key(actor=officer, institution_id=institution.pk)
        cashiers[institution.pk] = institution
        counts["keys_issued"] += 1
    # The county's hospital changed its cashier system last week: its key was rotated.
    keys.rotate_key(actor=officer, institution_id=hospital.pk, overlap_hours=24)
    counts["keys_rotated"] += 1

    # 2. Two people of the town certified as returned to poverty (the rural revitalisation office's list).
    pools = _people(county, rnd, month)
    town_people = list(Person.objects.filter(area__code__startswith=centre_town, is_deceased=False)
                       .exclude(id_number__in=pools["dibao"] + pools["special_hardship"] + pools["register"])
                       .order_by("pk").values_list("id_number", flat=True)[:40])
    rnd.shuffle(town_people)
    certified = []
    for id_number in town_people[:2]:
        try:
            certifications.certify_person(actor=worker, id_number=id_number, category_code=catalogue.RETURNED_TO_POVERTY,
                                          valid_from=dt.date(today.year, 1, 1), valid_until=dt.date(today.year, 12, 31),
                                          reason="县乡村振兴局返贫致贫人口名单")
            certified.append(id_number)
        except SafetyNetError:
            continue
    counts["certified"] = len(certified)
    pools["certified"] = certified

    def patient() -> str:
        kind = rnd.choices(["dibao", "special_hardship", "register", "certified"], weights=[6, 2, 3, 1])[0]
        pool = pools.get(kind) or pools["dibao"] or pools["special_hardship"]
        return rnd.choice(pool)

    # 3. Last month's bills at both cashiers, day by day; a few this month.
    sent: list[tuple[int, dict]] = []
    number = 0
    day = month
    days = []
    while day < today:
        if is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    heavy = pools["register"][0] if pools["register"] else None   # the household the feed will flag
    for day in days:
        at(day)
        for institution in (hospital, centre):
            for _ in range(rnd.randint(2, 5) if institution is hospital else rnd.randint(0, 2)):
                number += 1
                id_number = patient()
                data = _bill(rnd, id_number, f"{institution.code[-5:]}-{day:%Y%m%d}-{number:04d}", day)
                try:
                    settlements.settle_bill(institution, data)
                    sent.append((institution.pk, data))
                    counts["settled"] += 1
                except SafetyNetError as error:
                    counts[f"refused_{error.code}"] += 1
        if heavy and day.day in (8, 22) and day.month == month.month:
            number += 1
            data = _bill(rnd, heavy, f"{hospital.code[-5:]}-{day:%Y%m%d}-{number:04d}", day, big=True)
            settlements.settle_bill(hospital, data)
            sent.append((hospital.pk, data))
            counts["settled"] += 1
    # A cashier's network retried one bill: the same answer, nothing settled twice.
    if sent:
        institution_id, data = sent[len(sent) // 2]
        settlements.settle_bill(cashiers[institution_id], data)
        counts["retried"] += 1
        # A different bill under a settled visit number is refused.
        try:
            settlements.settle_bill(cashiers[institution_id], {**data, "ineligible_self_paid": "0.00",
                                                               "total_cost": f"{Decimal(data['total_cost']) - Decimal(data['ineligible_self_paid']):.2f}"})
        except SafetyNetError:
            counts["conflicting_bill_refused"] += 1
    # A patient refunded at the hospital this month: last month's settlement reversed.
    at(today)
    if len(sent) > 3:
        institution_id, data = sent[3]
        settlements.reverse_settlement(cashiers[institution_id], data["visit_number"], reason="患者出院后办理退费")
        counts["reversed"] += 1
    counts["settlements_last_month"] = sum(1 for _i, d in sent if d["discharged_on"] < today.replace(day=1).isoformat())

    # 4. The institutions' claims for last month (the township centre's system left one visit
    # out), the statements generated and reconciled, the hospital's approved by the county leader
    # and charged to the county's medical assistance budget; the centre's waits for the leader.
    counts.update(_statements(county, month, today, hospital, centre, officer=officer, leader=leader))

    # 5. The month's warning run again: the heavy bills of one household are past the illness
    # threshold (the feed of settlements into discovery's medical rule).
    result = run_warnings(officer, county, today)
    counts["warnings_raised_after_settlements"] = result.raised

    # 6. Manual reimbursements: bills from a Beijing hospital, one decided and paid, one waiting
    # for the county, one just filed at the town's window.
    counts.update(_reimbursements(rnd, pools, today, worker=worker, leader=actor_of("town_leader"), officer=officer))
    return dict(counts)


def _statements(county: str, month: dt.date, today: dt.date, hospital, centre, *, officer: Actor, leader: Actor) -> dict:
    done: Counter = Counter()
    for institution in (hospital, centre):
        stated = list(Settlement.objects.filter(institution=institution, settled_on__gte=month,
                                                settled_on__lt=today.replace(day=1), status=SettlementStatus.SETTLED)
                      .order_by("pk").values_list("visit_number", "assistance"))
        if institution is centre and len(stated) > 1:
            stated = stated[1:]          # the centre's system lost a visit
        statements.submit_claim(institution=institution, month=f"{month:%Y-%m}", settlements=len(stated),
                                assistance_total=f"{sum((a for _v, a in stated), Decimal('0.00')):.2f}",
                                visits=[{"visit_number": v, "assistance": f"{a:.2f}"} for v, a in stated])
        done["claims"] += 1
    budgets.set_budget_line(actor=officer, year=today.year, area_code=county, kind=BudgetKind.MEDICAL_ASSISTANCE,
                            amount="3000000.00", note="县级医疗救助资金")
    run = statements.generate_statements(actor=officer, county_code=county, month=f"{month:%Y-%m}")
    for statement in run.statements.order_by("pk"):
        statement = statements.reconcile_statement(actor=officer, statement_id=statement.pk)
        done[f"statement_{statement.status}"] += 1
        if statement.institution_id == hospital.pk and statement.status == "reconciled":
            statements.approve_statement(actor=leader, statement_id=statement.pk, note="与医院申报一致")
            done["statement_approved"] += 1
    return dict(done)


def _reimbursements(rnd: random.Random, pools: dict, today: dt.date, *, worker: Actor, leader: Actor, officer: Actor) -> dict:
    town = worker.area_code[:9]
    # The one to approve qualifies (dibao or special hardship); the others may be anyone of the town.
    qualified = set(pools["dibao"] + pools["special_hardship"] + pools["certified"])
    town_people = list(Person.objects.filter(area__code__startswith=town, is_deceased=False).order_by("pk")
                       .values_list("pk", "household_id", "id_number"))
    rnd.shuffle(town_people)
    town_people.sort(key=lambda row: row[2] not in qualified)
    people = [(pk, household) for pk, household, _n in town_people[:3]]
    done = Counter()
    for stage, (person_id, household_id) in zip(("approved", "reviewed", "filed"), people):
        day = today - dt.timedelta(days={"approved": 20, "reviewed": 12, "filed": 3}[stage])
        data = _bill(rnd, "", "", day)
        data.pop("visit_number"), data.pop("id_number")
        try:
            case = reimbursement.apply_for_reimbursement(
                actor=worker, household_id=household_id, person_id=person_id, treated_at="北京协和医院",
                not_settled_because="out_of_province", channel="walk_in", **data)
            if stage != "filed":
                case_services.accept_application(actor=worker, case_id=case.pk)
                reimbursement.review_reimbursement(actor=leader, case_id=case.pk, opinion="异地就医票据齐全，情况属实")
            if stage == "approved":
                reimbursement.approve_reimbursement(actor=officer, case_id=case.pk)
            done[f"reimbursement_{stage}"] += 1
        except SafetyNetError as error:
            done[f"reimbursement_refused_{error.code}"] += 1
    return dict(done)
