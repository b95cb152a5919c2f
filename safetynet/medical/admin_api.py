"""The administration of medical assistance over HTTP (`/api/v1/medical/`, issue 20): the
county's categories and their terms, certifications, designated institutions and their keys, a
person's ledger and the settlements of an area. Session or bearer token; each call is the service
or selector the pages call: 403 for the role, 404 outside the area, 422 naming the field."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field, StringConstraints

from safetynet.cases import clocks
from safetynet.core.apischemas import NO_CONTROL, SOME_TEXT, InputSchema, PageQuery, responses
from safetynet.core.dates import parse_month
from safetynet.core.errors import NotFound
from safetynet.core.money import money_text
from safetynet.core.pagination import api_page

from . import category_services, certifications, institutions, keys, ledger
from .models import InstitutionKind, QualifyBy, SettlementSource, SettlementStatus

router = Router(tags=["medical"])
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
CountyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
AreaCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{9})$")]
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
Amount = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
Share = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,3}(\.[0-9]{1,4})?%?$")]
Year = Annotated[int, Field(..., ge=category_services.FIRST_YEAR, le=category_services.LAST_YEAR)]
MonthText = Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
Search = Annotated[str, StringConstraints(max_length=50, pattern=NO_CONTROL)]


def _line(n: int, *, required: bool = True):
    return Annotated[str, StringConstraints(min_length=1 if required else 0, max_length=n,
                                            pattern=SOME_TEXT if required else NO_CONTROL)]



def _share(value) -> str | None:
    return None if value is None else f"{value:.4f}"


def _this_year() -> int:
    return clocks.today().year


# ---- categories ---------------------------------------------------------------------------------

class MedicalTermsOut(Schema):
    origin: str
    area: str | None
    area_name: str
    from_year: int
    rate: str
    deductible: str | None
    deductible_ratio: str | None
    deductible_yuan: str | None
    annual_cap: str
    source: str


class MedicalCategoryOut(Schema):
    code: str
    county: str | None
    origin: str
    name_zh: str
    name_en: str
    qualify_by: str
    qualify_value: str
    position: int
    active: bool
    source: str
    minimum_rate: str | None
    terms: MedicalTermsOut | None
    town_terms: list[MedicalTermsOut]


class MedicalCategoryList(Schema):
    county: str
    year: int
    items: list[MedicalCategoryOut]


def _terms(t) -> dict | None:
    if t is None:
        return None
    r = t.row
    return {"origin": t.origin, "area": r.area_id, "area_name": t.area_name, "from_year": r.from_year,
            "rate": _share(r.rate), "deductible": money_text(r.deductible), "deductible_ratio": _share(r.deductible_ratio),
            "deductible_yuan": money_text(t.deductible_yuan), "annual_cap": money_text(r.annual_cap), "source": r.source}


def _category_row(row) -> dict:
    c = row.category
    return {"code": row.code, "county": c.county_id, "origin": row.origin, "name_zh": c.name_zh, "name_en": c.name_en,
            "qualify_by": c.qualify_by, "qualify_value": c.qualify_value, "position": c.position, "active": c.active,
            "source": c.source, "minimum_rate": _share(row.minimum_rate), "terms": _terms(row.terms),
            "town_terms": [_terms(t) for t in row.towns]}


def _category_list(actor, county: str, year: int) -> dict:
    rows = category_services.categories_page_rows(actor, county, year)
    return {"county": county, "year": year, "items": [_category_row(r) for r in rows]}


class MedicalCategoryQuery(Schema):
    county: CountyCode | None = None
    year: int | None = Field(None, ge=category_services.FIRST_YEAR, le=category_services.LAST_YEAR)


@router.get("/categories", response=responses(MedicalCategoryList),
            summary="The county's medical assistance categories with their terms for a year")
def list_categories(request, filters: Query[MedicalCategoryQuery]):
    actor = request.auth
    county = filters.county or actor.area_code[:6]
    return _category_list(actor, county, filters.year or _this_year())


class MedicalCategoryIn(InputSchema):
    county: CountyCode
    code: CategoryCode
    name_zh: _line(100)
    name_en: _line(100)
    qualify_by: Literal[tuple(QualifyBy.values)]  # type: ignore[valid-type]
    qualify_value: _line(40, required=False) = ""
    position: int = Field(0, ge=0, le=category_services.MAX_POSITION)
    active: bool = True
    source: _line(300, required=False) = ""


class MedicalCategoryChangeIn(InputSchema):
    county: CountyCode
    name_zh: _line(100)
    name_en: _line(100)
    qualify_by: Literal[tuple(QualifyBy.values)]  # type: ignore[valid-type]
    qualify_value: _line(40, required=False) = ""
    position: int = Field(0, ge=0, le=category_services.MAX_POSITION)
    active: bool = True
    source: _line(300, required=False) = ""


def _saved_category(actor, county: str, code: str) -> dict:
    rows = category_services.categories_page_rows(actor, county, _this_year())
    return next(_category_row(r) for r in rows if r.code == code)


@router.post("/categories", response=responses(MedicalCategoryOut),
             summary="Save the county's own row of a category (overriding the national one, or a new category)")
def save_category(request, payload: MedicalCategoryIn):
    row = category_services.save_category(actor=request.auth, county_code=payload.county, code=payload.code,
                                          name_zh=payload.name_zh, name_en=payload.name_en,
                                          qualify_by=payload.qualify_by, qualify_value=payload.qualify_value,
                                          position=payload.position, active=payload.active, source=payload.source)
    return _saved_category(request.auth, payload.county, row.code)


@router.put("/categories/{category_code}", response=responses(MedicalCategoryOut),
            summary="Save the county's own row of the category (retire it with active=false)")
def put_category(request, category_code: Annotated[str, Path(..., pattern=r"^[a-z][a-z0-9_-]{1,39}$")],
                 payload: MedicalCategoryChangeIn):
    row = category_services.save_category(actor=request.auth, county_code=payload.county, code=category_code,
                                          name_zh=payload.name_zh, name_en=payload.name_en,
                                          qualify_by=payload.qualify_by, qualify_value=payload.qualify_value,
                                          position=payload.position, active=payload.active, source=payload.source)
    return _saved_category(request.auth, payload.county, row.code)


class MedicalTermsIn(InputSchema):
    area: AreaCode
    from_year: Year
    rate: Share
    deductible: Amount | None = None
    deductible_ratio: Share | None = None
    annual_cap: Amount
    source: _line(300, required=False) = ""


class MedicalTermsSaved(Schema):
    category: str
    area: str
    from_year: int
    rate: str
    deductible: str | None
    deductible_ratio: str | None
    annual_cap: str
    source: str


@router.post("/categories/{category_code}/terms", response=responses(MedicalTermsSaved),
             summary="Save a category's terms for the county or one of its towns from a year on")
def save_terms(request, category_code: Annotated[str, Path(..., pattern=r"^[a-z][a-z0-9_-]{1,39}$")],
               payload: MedicalTermsIn):
    row = category_services.save_terms(actor=request.auth, area_code=payload.area, category_code=category_code,
                                       from_year=payload.from_year, rate=payload.rate, deductible=payload.deductible,
                                       deductible_ratio=payload.deductible_ratio, annual_cap=payload.annual_cap,
                                       source=payload.source)
    return {"category": row.category_code, "area": row.area_id, "from_year": row.from_year, "rate": _share(row.rate),
            "deductible": money_text(row.deductible), "deductible_ratio": _share(row.deductible_ratio),
            "annual_cap": money_text(row.annual_cap), "source": row.source}


# ---- certifications -----------------------------------------------------------------------------

class MedicalCertificationOut(Schema):
    id: int
    person: int
    name: str
    id_number: str
    area: str
    category: str
    valid_from: dt.date
    valid_until: dt.date
    status: str
    reason: str
    certified_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str
    revoke_reason: str


def _certification(actor, row) -> dict:
    return {"id": row.pk, "person": row.person_id, "name": row.person.name,
            "id_number": ledger.shown_id_number(actor, row.person.id_number), "area": row.area_id,
            "category": row.category_code, "valid_from": row.valid_from, "valid_until": row.valid_until,
            "status": certifications.certification_status(row, clocks.today()), "reason": row.reason,
            "certified_by": row.certified_by, "created_at": row.created_at, "revoked_at": row.revoked_at,
            "revoked_by": row.revoked_by, "revoke_reason": row.revoke_reason}


class MedicalCertificationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MedicalCertificationOut]


class MedicalCertificationFilter(PageQuery):
    q: Search = ""
    category: CategoryCode | None = None
    status: Literal[certifications.STATUSES] | None = None  # type: ignore[valid-type]


@router.get("/certifications", response=responses(MedicalCertificationPage),
            summary="Certifications of people in the post's area")
def list_certifications(request, filters: Query[MedicalCertificationFilter]):
    actor = request.auth
    qs = certifications.certifications_in_scope(actor, q=filters.q, category=filters.category or "",
                                                status=filters.status or "")
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda r: _certification(actor, r))


IdNumber = Annotated[str, StringConstraints(pattern=r"^([0-9]{17}[0-9Xx]|[0-9]{15})$")]


class MedicalCertificationIn(InputSchema):
    id_number: IdNumber
    category: CategoryCode
    valid_from: dt.date
    valid_until: dt.date
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=SOME_TEXT)]


@router.post("/certifications", response=responses(MedicalCertificationOut, ok_status=201),
             summary="Certify a person (by ID number) for a category, for a period of at most three years")
def certify(request, payload: MedicalCertificationIn):
    row = certifications.certify_person(actor=request.auth, id_number=payload.id_number, category_code=payload.category,
                                        valid_from=payload.valid_from, valid_until=payload.valid_until,
                                        reason=payload.reason)
    return Status(201, _certification(request.auth, row))


class MedicalRevokeIn(InputSchema):
    reason: _line(500)


@router.post("/certifications/{certification_id}/revoke", response=responses(MedicalCertificationOut),
             summary="Revoke a certification at once")
def revoke(request, certification_id: Id, payload: MedicalRevokeIn):
    row = certifications.revoke_certification(actor=request.auth, certification_id=certification_id,
                                              reason=payload.reason)
    return _certification(request.auth, certifications.get_certification(request.auth, row.pk))


# ---- institutions -------------------------------------------------------------------------------

class MedicalKeyOut(Schema):
    id: int
    prefix: str
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    state: str


def _key(k, now) -> dict:
    return {"id": k.pk, "prefix": k.prefix, "created_at": k.created_at, "created_by": k.created_by,
            "expires_at": k.expires_at, "revoked_at": k.revoked_at, "last_used_at": k.last_used_at,
            "state": institutions.key_state(k, now)}


class MedicalInstitutionOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    area: str
    area_name: str
    contract_from: dt.date
    contract_until: dt.date
    bank_name: str
    bank_account: str
    account_name: str
    active: bool


class MedicalInstitutionDetail(MedicalInstitutionOut):
    keys: list[MedicalKeyOut]


def _institution(row) -> dict:
    return {"id": row.pk, "code": row.code, "name": row.name, "kind": row.kind, "area": row.area_id,
            "area_name": row.area.name, "contract_from": row.contract_from, "contract_until": row.contract_until,
            "bank_name": row.bank_name, "bank_account": row.bank_account, "account_name": row.account_name,
            "active": row.active}


def _institution_detail(actor, row) -> dict:
    now = timezone.now()
    return {**_institution(row), "keys": [_key(k, now) for k in institutions.keys_of(row)]}


class MedicalInstitutionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MedicalInstitutionOut]


class MedicalInstitutionFilter(PageQuery):
    q: Search = ""
    active: bool | None = None
    kind: Literal[tuple(InstitutionKind.values)] | None = None  # type: ignore[valid-type]


@router.get("/institutions", response=responses(MedicalInstitutionPage),
            summary="Designated institutions of the post's area and the areas above it")
def list_institutions(request, filters: Query[MedicalInstitutionFilter]):
    qs = institutions.institutions_in_scope(request.auth, q=filters.q, active=filters.active, kind=filters.kind or "")
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_institution)


@router.get("/institutions/{institution_id}", response=responses(MedicalInstitutionDetail),
            summary="One institution with its keys (prefixes only: a secret is shown once, when issued)")
def get_institution(request, institution_id: Id):
    return _institution_detail(request.auth, institutions.get_institution(request.auth, institution_id))


class MedicalInstitutionIn(InputSchema):
    code: _line(30)
    name: _line(200)
    kind: Literal[tuple(InstitutionKind.values)]  # type: ignore[valid-type]
    area: AreaCode
    contract_from: dt.date
    contract_until: dt.date
    bank_name: _line(100)
    bank_account: _line(40)
    account_name: _line(200)
    active: bool = True


def _institution_fields(payload: MedicalInstitutionIn) -> dict:
    return {"code": payload.code, "name": payload.name, "kind": payload.kind, "area_code": payload.area,
            "contract_from": payload.contract_from, "contract_until": payload.contract_until,
            "bank_name": payload.bank_name, "bank_account": payload.bank_account, "account_name": payload.account_name,
            "active": payload.active}


@router.post("/institutions", response=responses(MedicalInstitutionDetail, ok_status=201),
             summary="Register a designated institution")
def register_institution(request, payload: MedicalInstitutionIn):
    row = institutions.register_institution(actor=request.auth, **_institution_fields(payload))
    return Status(201, _institution_detail(request.auth, institutions.get_institution(request.auth, row.pk)))


@router.put("/institutions/{institution_id}", response=responses(MedicalInstitutionDetail),
            summary="Change an institution (contract, account, active)")
def update_institution(request, institution_id: Id, payload: MedicalInstitutionIn):
    row = institutions.update_institution(actor=request.auth, institution_id=institution_id,
                                          **_institution_fields(payload))
    return _institution_detail(request.auth, institutions.get_institution(request.auth, row.pk))


class MedicalIssuedKey(Schema):
    key: MedicalKeyOut
    secret: str = Field(..., description="The key itself: shown this once, never again. Give it to the institution.")


@router.post("/institutions/{institution_id}/keys", response=responses(MedicalIssuedKey, ok_status=201),
             summary="Issue a new key (its secret answered this once)")
def issue_key(request, institution_id: Id):
    key, secret = keys.issue_key(actor=request.auth, institution_id=institution_id)
    return Status(201, {"key": _key(key, timezone.now()), "secret": secret})


class MedicalRotateIn(InputSchema):
    overlap_hours: int = Field(24, ge=0, le=keys.MAX_OVERLAP_HOURS)


@router.post("/institutions/{institution_id}/keys/rotate", response=responses(MedicalIssuedKey, ok_status=201),
             summary="Issue a new key; the others keep working for overlap_hours (0: stop at once)")
def rotate_key(request, institution_id: Id, payload: MedicalRotateIn):
    key, secret = keys.rotate_key(actor=request.auth, institution_id=institution_id,
                                  overlap_hours=payload.overlap_hours)
    return Status(201, {"key": _key(key, timezone.now()), "secret": secret})


@router.post("/institutions/{institution_id}/keys/{key_id}/revoke", response=responses(MedicalKeyOut),
             summary="Stop a key at once")
def revoke_key(request, institution_id: Id, key_id: Id):
    institution = institutions.get_institution(request.auth, institution_id)
    if not institution.keys.filter(pk=key_id).exists():
        raise NotFound(_("No such key."))
    return _key(keys.revoke_key(actor=request.auth, key_id=key_id), timezone.now())


# ---- people and their ledgers -------------------------------------------------------------------

class MedicalPersonOut(Schema):
    id: int
    name: str
    id_number: str
    area: str
    area_name: str
    household: int


class MedicalPeopleQuery(Schema):
    q: Search = ""


@router.get("/people", response=responses(list[MedicalPersonOut]),
            summary="People of the post's area by ID number or name (or their beginning), at most 50; none for an empty q")
def find_people(request, filters: Query[MedicalPeopleQuery]):
    return [{"id": r.person.pk, "name": r.person.name, "id_number": r.id_number, "area": r.person.area_id,
             "area_name": r.person.area.name, "household": r.person.household_id}
            for r in ledger.find_people(request.auth, filters.q)]


class MedicalLedgerSettlementOut(Schema):
    id: int
    source: str
    institution: int | None
    institution_name: str
    visit_number: str
    case: int | None
    settled_on: dt.date
    admitted_on: dt.date
    discharged_on: dt.date
    total_cost: str
    basic_insurance: str
    critical_illness: str
    eligible_self_paid: str
    ineligible_self_paid: str
    category: str
    rate: str
    deductible_applied: str
    assistance: str
    patient_pays: str
    capped: bool
    status: str
    reversed_on: dt.date | None


def _settlement(s) -> dict:
    return {"id": s.pk, "source": s.source, "institution": s.institution_id,
            "institution_name": s.institution.name if s.institution else "", "visit_number": s.visit_number,
            "case": s.case_id, "settled_on": s.settled_on, "admitted_on": s.admitted_on,
            "discharged_on": s.discharged_on, "total_cost": money_text(s.total_cost),
            "basic_insurance": money_text(s.basic_insurance), "critical_illness": money_text(s.critical_illness),
            "eligible_self_paid": money_text(s.eligible_self_paid), "ineligible_self_paid": money_text(s.ineligible_self_paid),
            "category": s.category_code, "rate": _share(s.rate), "deductible_applied": money_text(s.deductible_applied),
            "assistance": money_text(s.assistance), "patient_pays": money_text(s.patient_pays), "capped": s.capped,
            "status": s.status, "reversed_on": s.reversed_on}


class MedicalStandingOut(Schema):
    category: str
    name: str
    basis: str
    evidence: dict
    rate: str | None
    deductible: str | None
    annual_cap: str | None
    remaining_cap: str | None


class MedicalLedgerOut(Schema):
    person: int
    name: str
    id_number: str
    area: str
    year: int
    eligible_total: str
    assistance_total: str
    settlement_count: int
    months: list[str]
    qualifies_on: dt.date
    qualifications: list[MedicalStandingOut]
    settlements: list[MedicalLedgerSettlementOut]


class MedicalLedgerQuery(Schema):
    year: int | None = Field(None, ge=ledger.FIRST_YEAR, le=ledger.LAST_YEAR)


@router.get("/people/{person_id}/ledger", response=responses(MedicalLedgerOut),
            summary="A person's medical assistance in a year: settlements, totals, qualifications and caps left")
def person_ledger(request, person_id: Id, filters: Query[MedicalLedgerQuery]):
    book = ledger.person_ledger(request.auth, person_id, filters.year or _this_year())
    return {"person": book.person.pk, "name": book.person.name, "id_number": book.id_number,
            "area": book.person.area_id, "year": book.year, "eligible_total": money_text(book.eligible_total),
            "assistance_total": money_text(book.assistance_total), "settlement_count": book.settlement_count,
            "months": [money_text(m) for m in book.months], "qualifies_on": book.on,
            "qualifications": [{"category": s.code, "name": s.category.name, "basis": s.evidence.get("basis", ""),
                                "evidence": s.evidence, "rate": _share(s.terms.rate) if s.terms else None,
                                "deductible": money_text(s.terms.deductible) if s.terms else None,
                                "annual_cap": money_text(s.terms.annual_cap) if s.terms else None,
                                "remaining_cap": money_text(s.remaining_cap)} for s in book.standings],
            "settlements": [_settlement(s) for s in book.settlements]}


# ---- settlements --------------------------------------------------------------------------------

class MedicalAreaSettlementOut(MedicalLedgerSettlementOut):
    person: int
    name: str
    id_number: str
    area: str
    year: int


class MedicalSettlementPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MedicalAreaSettlementOut]


class MedicalSettlementFilter(PageQuery):
    institution: int | None = Field(None, ge=1, le=MAX_ID)
    month: MonthText | None = None
    category: CategoryCode | None = None
    status: Literal[tuple(SettlementStatus.values)] | None = None  # type: ignore[valid-type]
    source: Literal[tuple(SettlementSource.values)] | None = None  # type: ignore[valid-type]


@router.get("/settlements", response=responses(MedicalSettlementPage),
            summary="Settlements of people in the post's area, newest first")
def list_settlements(request, filters: Query[MedicalSettlementFilter]):
    actor = request.auth
    qs = ledger.settlements_in_scope(actor, institution_id=filters.institution,
                                     month=parse_month(filters.month) if filters.month else None,
                                     category=filters.category or "", status=filters.status or "",
                                     source=filters.source or "")
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda s: {
        **_settlement(s), "person": s.person_id, "name": s.person.name,
        "id_number": ledger.shown_id_number(actor, s.person.id_number), "area": s.area_id, "year": s.year})
