"""Settling a medical bill (issue 20 part 3; POLICY.md §4): the one way assistance is granted,
for a designated institution's cashier (one-stop, `settle_bill`) and for a manual reimbursement
decided on a case (`settle_manual`), and the one way it is undone (`reverse_settlement`).

Why it is built this way:
- Exact: the bill is read by `read_bill` (every amount Decimal through `core.money.parse_money`,
  never rounded; the parts must add up to the total), the formula is `rules.most_favorable` over
  every category the person qualifies under (`qualification.qualifications`) with the terms in
  force (`terms.terms_for`), and the answer is stored as given.
- Never twice: (institution, visit number) is unique in the database. A retry of the same bill
  answers the stored answer (with the settlement's current status); another bill under the same
  visit number is refused (409 `visit_conflict`), whoever wins a race (the unique index decides,
  the loser rolls back and re-reads).
- The cap never exceeded: the person's `PersonYear` row is locked (created or touched by one
  INSERT ... ON CONFLICT DO UPDATE, which locks it on PostgreSQL as SELECT ... FOR UPDATE would)
  before the year's totals are read, so two cashiers settling for one person at the same moment
  are taken one after the other, the second seeing what the first took.
- Fast: ten statements a bill (the key, the visit, the person, the year's lock, the reference
  cache's token, who qualifies in three, the settlement with its answer, the year's totals; a
  retry or a read: two) and no audit-chain write (the settlement row, append-only and reversed
  rather than deleted, names its institution and time; it is the record). An audit event is
  written for the staff's writes around it (keys, terms, manual decisions).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases import clocks
from safetynet.core import statements
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.masking import mask_name
from safetynet.core.money import format_yuan, parse_money
from safetynet.core.text import clean_field, normalise_text
from safetynet.registry.models import Person

from .models import Institution, PersonYear, Settlement, SettlementSource, SettlementStatus
from .qualification import PersonRef, qualifications
from .rules import Assessment, most_favorable
from .terms import categories_for, terms_for

VISIT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
AMOUNTS = ("total_cost", "basic_insurance_paid", "critical_illness_paid", "eligible_self_paid", "ineligible_self_paid")
MAX_BILL = Decimal("10000000.00")
OLDEST_BILL_DAYS = 730   # a bill older than two years is not settled at the cashier


@dataclass(frozen=True)
class Bill:
    visit_number: str
    id_number: str
    admitted_on: dt.date
    discharged_on: dt.date
    total_cost: Decimal
    basic_insurance_paid: Decimal
    critical_illness_paid: Decimal
    eligible_self_paid: Decimal
    ineligible_self_paid: Decimal

    @property
    def year(self) -> int:
        """The year whose deductible and cap the bill counts against: the year of discharge."""
        return self.discharged_on.year

    def digest(self) -> str:
        """SHA-256 of the bill's content in one canonical form: a retry must send the same."""
        text = json.dumps({"visit_number": self.visit_number, "id_number": self.id_number,
                           "admitted_on": self.admitted_on.isoformat(), "discharged_on": self.discharged_on.isoformat(),
                           **{name: f"{getattr(self, name):.2f}" for name in AMOUNTS}}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def read_bill(data: dict, *, today: dt.date | None = None) -> Bill:
    """The bill from what the cashier (or a town worker) sent, or a ValidationError naming the
    field and the reason: a bad visit number or ID number, dates out of order or in the future,
    an amount that is not money or is negative, parts that do not add up to the total."""
    today = today or clocks.today()
    visit = normalise_text(data.get("visit_number") or "")
    if not VISIT_NUMBER.fullmatch(visit):
        raise ValidationError(_("The visit number is 1 to 64 letters, digits, dots, dashes, slashes or underscores, "
                                "starting with a letter or digit."), field="visit_number", code="invalid_visit_number")
    person = parse_id_number(data.get("id_number"), field="id_number", today=today)
    admitted = parse_date(data.get("admitted_on"), field="admitted_on", required=True)
    discharged = parse_date(data.get("discharged_on"), field="discharged_on", required=True)
    if discharged < admitted:
        raise ValidationError(_("The discharge date (%(out)s) is before the admission date (%(in)s).")
                              % {"out": discharged.isoformat(), "in": admitted.isoformat()}, field="discharged_on",
                              code="dates_out_of_order")
    if discharged > today:
        raise ValidationError(_("The discharge date (%(out)s) is in the future.") % {"out": discharged.isoformat()},
                              field="discharged_on", code="date_in_future")
    if (today - discharged).days > OLDEST_BILL_DAYS:
        raise ValidationError(_("The bill was closed more than two years ago; it cannot be settled at the cashier."),
                              field="discharged_on", code="bill_too_old")
    amounts = {}
    for name in AMOUNTS:
        value = data.get(name)
        amount = parse_money(value, field=name, allow_negative=True, maximum=MAX_BILL)
        if amount < 0:
            raise ValidationError(_("%(field)s is negative (%(value)s): every part of a bill is zero or more.")
                                  % {"field": name, "value": f"{amount:.2f}"}, field=name, code="negative_amount")
        amounts[name] = amount
    parts = (amounts["basic_insurance_paid"] + amounts["critical_illness_paid"] + amounts["eligible_self_paid"]
             + amounts["ineligible_self_paid"])
    if parts != amounts["total_cost"]:
        raise ValidationError(
            _("The bill does not add up: basic insurance %(basic)s + critical-illness insurance %(critical)s + eligible "
              "self-paid %(eligible)s + ineligible self-paid %(ineligible)s = %(parts)s, but the total cost is %(total)s.")
            % {"basic": f"{amounts['basic_insurance_paid']:.2f}", "critical": f"{amounts['critical_illness_paid']:.2f}",
               "eligible": f"{amounts['eligible_self_paid']:.2f}", "ineligible": f"{amounts['ineligible_self_paid']:.2f}",
               "parts": f"{parts:.2f}", "total": f"{amounts['total_cost']:.2f}"},
            field="total_cost", code="bill_does_not_add_up",
            details={"parts": f"{parts:.2f}", "total_cost": f"{amounts['total_cost']:.2f}"})
    return Bill(visit, person.number, admitted, discharged, **amounts)


@dataclass(frozen=True)
class Patient:
    id: int
    household_id: int
    area_id: str
    name: str


# The hot reads and writes of a bill, compiled once per connection and prepared on the server
# (core/statements.py): through the queryset API, building each statement cost more CPU than the
# database spent running it, and a bill makes ten (bench/bench_settlement_load.py).
_SETTLEMENT_BY_VISIT = statements.Prepared(lambda institution_id, visit_number: Settlement.objects.filter(
    institution_id=institution_id, visit_number=visit_number).order_by()[:1])
_PATIENT = statements.Prepared(lambda id_number: Person.objects.filter(id_number=id_number).order_by()
                               .values_list("pk", "household_id", "area_id", "name", "is_deceased")[:1])
_YEAR_FIELDS = [PersonYear._meta.get_field(name) for name in ("eligible_total", "assistance_total", "updated_at")]


def _settlement_by_visit(institution: Institution, visit_number: str) -> Settlement | None:
    found = _SETTLEMENT_BY_VISIT.objects(institution.pk, visit_number)
    return found[0] if found else None


def find_patient(id_number: str, county_code: str) -> Patient:
    """The registered person, living, of the county; else a refusal the cashier can show."""
    row = _PATIENT.first(id_number)
    if row is None or not row[2].startswith(county_code):
        raise NotFound(_("No person with this ID number is registered for medical assistance in this county: the "
                         "patient pays the self-paid part; the family may apply at the town office."),
                       field="id_number", code="unknown_person")
    if row[4]:
        raise ValidationError(_("This person is recorded as deceased; the bill cannot be settled here. Ask the town "
                                "office to check the registry."), field="id_number", code="person_deceased")
    return Patient(row[0], row[1], row[2], row[3])


def _lock_year(person_id: int, year: int) -> PersonYear:
    """The person's year row, created when missing, locked until the transaction ends: one
    statement, `INSERT ... ON CONFLICT (person, year) DO UPDATE ... RETURNING` (PostgreSQL locks
    the row it inserts or updates, as SELECT ... FOR UPDATE would, and a second inserter waits for
    the first to commit, then reads its totals; SQLite has one writer at a time anyway). Read
    through the model, so the amounts come back as Decimal."""
    table = PersonYear._meta.db_table
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(table)} (person_id, year, eligible_total, assistance_total, settlements, updated_at) "
           f"VALUES (%s, %s, 0, 0, 0, %s) ON CONFLICT (person_id, year) DO UPDATE SET updated_at = excluded.updated_at "
           f"RETURNING id, person_id, year, eligible_total, assistance_total, settlements, updated_at")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return list(PersonYear.objects.raw(sql, [person_id, year, now]))[0]


def assess(patient: Patient, bill: Bill, year_row: PersonYear | None, on: dt.date) -> tuple[Assessment, list[Assessment], dict]:
    """(applied, every category's, the evidence of the one applied) for the patient's bill against
    what the year already holds; refused (`not_eligible`) when the patient is in no category."""
    found = qualifications([PersonRef(patient.id, patient.household_id, patient.area_id)], on)[patient.id]
    terms = terms_for(patient.area_id, bill.year, found)
    if not terms:
        raise ValidationError(_("This person is in no medical assistance category (dibao, special hardship, low-income "
                                "margin and the others the county keeps): the patient pays the self-paid part; the "
                                "family may ask the town office whether they qualify."),
                              field="id_number", code="not_eligible")
    eligible_before = year_row.eligible_total if year_row else Decimal("0.00")
    paid_before = year_row.assistance_total if year_row else Decimal("0.00")
    best, every = most_favorable(bill.eligible_self_paid, list(terms.values()),
                                 eligible_before=eligible_before, paid_before=paid_before)
    return best, every, found[best.category_code]


def _answer(patient: Patient, bill: Bill, best: Assessment, every: list[Assessment], evidence: dict,
            now: dt.datetime) -> dict:
    """The answer as stored: all but the settlement's id and current status, which
    `stored_answer` adds (so the row is written once, with its answer, in one INSERT)."""
    category = categories_for(patient.area_id)[best.category_code]
    patient_pays = bill.eligible_self_paid + bill.ineligible_self_paid - best.assistance
    answer = {
        "visit_number": bill.visit_number, "person": mask_name(patient.name), "year": bill.year,
        "category": best.category_code, "category_name": category.name_zh, "category_name_en": category.name_en,
        "qualified_by": evidence.get("basis", ""),
        "assistance": f"{best.assistance:.2f}", "patient_pays": f"{patient_pays:.2f}",
        "annual_cap": f"{best.cap:.2f}", "remaining_cap": f"{best.remaining_cap:.2f}", "capped": best.capped,
        "cap_note": None, "cap_note_en": None,
        "breakdown": best.as_dict(),
        "considered": [{"category": a.category_code, "assistance": f"{a.assistance:.2f}"} for a in every],
        "settled_at": now.isoformat(),
    }
    if best.capped:
        answer["cap_note"] = (f"年度救助限额已用尽：按比例应付 {format_yuan(best.computed)} 元，实付限额剩余部分 "
                              f"{format_yuan(best.assistance)} 元。")
        answer["cap_note_en"] = (f"The annual cap is reached: the rate gives {format_yuan(best.computed)} yuan; what was "
                                 f"left of the cap, {format_yuan(best.assistance)} yuan, is paid.")
    return answer


def stored_answer(settlement: Settlement) -> dict:
    """The answer given when the bill was settled, with the settlement's id and its current
    status (a retry of a reversed bill is told it is reversed)."""
    return {"settlement_id": settlement.pk, **settlement.answer, "status": settlement.status}


def _replay(existing: Settlement, bill: Bill) -> dict:
    if existing.bill_hash != bill.digest():
        raise Conflict(_("Visit %(visit)s was already settled with a different bill. Send the same bill to get the same "
                         "answer, or reverse the settlement first and send the corrected bill under a new visit number.")
                       % {"visit": bill.visit_number}, field="visit_number", code="visit_conflict")
    return stored_answer(existing)


def _write(patient: Patient, bill: Bill, *, source: str, institution: Institution | None, case_id: int | None,
           on: dt.date, visit_number: str) -> dict:
    """Inside a transaction: lock the year, assess, write; the answer. A visit number settled
    meanwhile by another request is refused by the unique index (IntegrityError: the caller
    re-reads it)."""
    year_row = _lock_year(patient.id, bill.year)
    best, every, evidence = assess(patient, bill, year_row, on)
    now = timezone.now()
    settlement = statements.insert_row(Settlement(
        source=source, institution=institution, visit_number=visit_number, case_id=case_id, person_id=patient.id,
        household_id=patient.household_id, area_id=patient.area_id, year=bill.year, admitted_on=bill.admitted_on,
        discharged_on=bill.discharged_on, total_cost=bill.total_cost, basic_insurance=bill.basic_insurance_paid,
        critical_illness=bill.critical_illness_paid, eligible_self_paid=bill.eligible_self_paid,
        ineligible_self_paid=bill.ineligible_self_paid, bill_hash=bill.digest(), category_code=best.category_code,
        rate=best.rate, deductible_applied=best.deductible_applied, assistance=best.assistance,
        patient_pays=bill.eligible_self_paid + bill.ineligible_self_paid - best.assistance,
        remaining_cap=best.remaining_cap, capped=best.capped, settled_at=now, settled_on=on,
        answer=_answer(patient, bill, best, every, evidence, now)))
    _add_to_year(year_row.pk, bill.eligible_self_paid, best.assistance, now)
    return stored_answer(settlement)


def _add_to_year(year_pk: int, eligible: Decimal, assistance: Decimal, now: dt.datetime) -> None:
    """The year's totals += the bill's (under the year's lock), one statement compiled once."""
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in _YEAR_FIELDS]
    sql = (f"UPDATE {quote(PersonYear._meta.db_table)} SET {columns[0]} = {columns[0]} + %s, "
           f"{columns[1]} = {columns[1]} + %s, {quote('settlements')} = {quote('settlements')} + 1, {columns[2]} = %s "
           f"WHERE {quote('id')} = %s")
    params = [statements.db_value(f, v, connection) for f, v in zip(_YEAR_FIELDS, (eligible, assistance, now))]
    with statements.cursor() as cursor:
        cursor.execute(sql, [*params, year_pk])


def _check_contract(institution: Institution, bill: Bill, on: dt.date) -> None:
    if not institution.active or not institution.contract_from <= on <= institution.contract_until:
        raise PermissionDenied(_("The institution's designation contract is not in force today (%(from)s to %(until)s): "
                                 "bills cannot be settled.") % {"from": institution.contract_from.isoformat(),
                                                                 "until": institution.contract_until.isoformat()},
                               code="outside_contract")
    if bill.discharged_on < institution.contract_from:
        raise PermissionDenied(_("The patient was discharged before the institution's designation contract began (%(from)s).")
                               % {"from": institution.contract_from.isoformat()}, field="discharged_on",
                               code="outside_contract")


def settle_bill(institution: Institution, data: dict) -> dict:
    """One-stop settlement of a bill the institution sent after the two insurances: the answer
    (assistance, what the patient pays, the category applied and why, the remaining cap, the
    breakdown). The same bill again answers the same; see the module's docstring."""
    on = clocks.today()
    bill = read_bill(data, today=on)
    existing = _settlement_by_visit(institution, bill.visit_number)
    if existing is not None:          # a retry: answered without a lock
        return _replay(existing, bill)
    _check_contract(institution, bill, on)
    patient = find_patient(bill.id_number, institution.area_id[:6])
    try:
        with transaction.atomic():
            return _write(patient, bill, source=SettlementSource.ONE_STOP, institution=institution, case_id=None, on=on,
                          visit_number=bill.visit_number)
    except IntegrityError:
        # Another request settled the same visit number between our reads (for another person,
        # or on a database without row locks): its bill decides.
        existing = _settlement_by_visit(institution, bill.visit_number)
        if existing is None:
            raise
        return _replay(existing, bill)


def quote_bill(person_id: int, data: dict, *, on: dt.date | None = None) -> tuple[Bill, Assessment, list[Assessment]]:
    """What a bill would get for a person now, written nowhere (the manual reimbursement's page
    and its decision use the same assessment as the cashier)."""
    on = on or clocks.today()
    row = Person.objects.filter(pk=person_id).values_list("pk", "household_id", "area_id", "name", "id_number").get()
    bill = read_bill({**data, "id_number": row[4]}, today=on)
    patient = Patient(row[0], row[1], row[2], row[3])
    year_row = PersonYear.objects.filter(person_id=patient.id, year=bill.year).first()
    best, every, _evidence = assess(patient, bill, year_row, on)
    return bill, best, every


def settle_manual(*, case_id: int, person_id: int, data: dict, on: dt.date | None = None) -> dict:
    """A manual reimbursement decided on case `case_id` settled like a one-stop bill (same
    reading, same lock, same formula), inside the caller's transaction (the case step's unit of
    work); its visit number is the case's reference. Once per case (a database constraint)."""
    on = on or clocks.today()
    row = Person.objects.filter(pk=person_id).values_list("pk", "household_id", "area_id", "name", "id_number").get()
    visit = f"CASE-{case_id}"
    bill = read_bill({**data, "id_number": row[4], "visit_number": visit}, today=on)
    patient = Patient(row[0], row[1], row[2], row[3])
    if Settlement.objects.filter(case_id=case_id, status=SettlementStatus.SETTLED).exists():
        raise Conflict(_("This case's reimbursement is already settled."), code="already_settled")
    with transaction.atomic():
        return _write(patient, bill, source=SettlementSource.MANUAL, institution=None, case_id=case_id, on=on,
                      visit_number=visit)


def _unknown_settlement(visit_number: str) -> NotFound:
    return NotFound(_("No settlement of this institution has visit number %(visit)s.") % {"visit": visit_number[:64]},
                    field="visit_number", code="unknown_settlement")


def _find_settlement(institution: Institution, visit_number: str) -> Settlement:
    """One of the institution's settlements by its visit number; a visit number that cannot be
    one (a slash-free garbage, a control character) is as unknown as a missing one."""
    visit_number = normalise_text(visit_number or "")
    if not VISIT_NUMBER.fullmatch(visit_number):
        raise _unknown_settlement(visit_number)
    settlement = _settlement_by_visit(institution, visit_number)
    if settlement is None:
        raise _unknown_settlement(visit_number)
    return settlement


def reverse_settlement(institution: Institution, visit_number: str, *, reason: str = "") -> dict:
    """Undo a settlement (the patient was refunded, the bill was wrong): the cap and the
    deductible it used are given back to the person's year. Reversing again answers the same
    (nothing more is given back); an unknown visit is refused (404 `unknown_settlement`); the
    reason is required (it is what the county reads on the month's claim)."""
    reason = clean_field(reason, "reason", max_length=500, required=True)
    with transaction.atomic():
        settlement = _find_settlement(institution, visit_number)
        year_row = _lock_year(settlement.person_id, settlement.year)
        settlement.refresh_from_db(fields=["status", "reversed_at", "reversed_on", "reversal_reason"])
        if settlement.status == SettlementStatus.SETTLED:
            now = timezone.now()
            settlement.status, settlement.reversed_at = SettlementStatus.REVERSED, now
            settlement.reversed_on, settlement.reversal_reason = clocks.today(), reason
            settlement.save(update_fields=["status", "reversed_at", "reversed_on", "reversal_reason"])
            year_row.eligible_total -= settlement.eligible_self_paid
            year_row.assistance_total -= settlement.assistance
            year_row.settlements -= 1
            PersonYear.objects.filter(pk=year_row.pk).update(eligible_total=year_row.eligible_total,
                                                             assistance_total=year_row.assistance_total,
                                                             settlements=year_row.settlements, updated_at=now)
        cap = Decimal(settlement.answer.get("annual_cap", "0"))
        return {"settlement_id": settlement.pk, "visit_number": settlement.visit_number,
                "status": SettlementStatus.REVERSED.value, "assistance_restored": f"{settlement.assistance:.2f}",
                "remaining_cap": f"{max(Decimal('0.00'), cap - year_row.assistance_total):.2f}",
                "reversed_at": settlement.reversed_at.isoformat(), "reason": settlement.reversal_reason}


def settlement_answer(institution: Institution, visit_number: str) -> dict:
    """The stored answer of one of the institution's settlements (its current status)."""
    return stored_answer(_find_settlement(institution, visit_number))
