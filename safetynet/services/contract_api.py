"""Providers, their workers, contracts, quality and statements over HTTP (`/api/v1/services/`,
issue 19 part 4). Each call is the service the pages call: 403 for the role, 404 outside the area."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Path, Query, Router, Schema, Status
from pydantic import Field, StringConstraints

from safetynet.cases.schemas import Money
from safetynet.core.apischemas import NO_CONTROL, SOME_TEXT, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import contracts, providers, selectors, statements
from .models import ContractStatus, Pricing, ServiceScope
from .quality import quality_of

router = Router(tags=["services"])
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]


def _line(n: int, *, required: bool = True):
    return Annotated[str, StringConstraints(min_length=1 if required else 0, max_length=n,
                                            pattern=SOME_TEXT if required else NO_CONTROL)]


Search = Annotated[str, StringConstraints(max_length=50, pattern=NO_CONTROL)]
County = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
AreaCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{9})$")]
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


# ---- providers ----------------------------------------------------------------------------------

class ProviderOut(Schema):
    id: int
    name: str
    uscc: str
    registration_authority: str
    contact_person: str
    phone: str
    address: str
    county: str
    is_active: bool
    registered_on: dt.date


def _provider(p) -> dict:
    return {"id": p.pk, "name": p.name, "uscc": p.uscc, "registration_authority": p.registration_authority,
            "contact_person": p.contact_person, "phone": p.phone, "address": p.address, "county": p.area_id,
            "is_active": p.is_active, "registered_on": p.registered_on}


class ProviderPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ProviderOut]


class ProviderFilter(PageQuery):
    q: Search = ""


@router.get("/providers", response=responses(ProviderPage), summary="Service providers of the post's county")
def list_providers(request, filters: Query[ProviderFilter]):
    return api_page(selectors.providers_for(request.auth, q=filters.q), offset=filters.offset, limit=filters.limit,
                    item=_provider)


class ProviderIn(InputSchema):
    county: County
    name: _line(100)
    uscc: _line(40)
    registration_authority: _line(100)
    contact_person: _line(50)
    phone: _line(30)
    address: _line(200, required=False) = ""


@router.post("/providers", response=responses(ProviderOut, ok_status=201), summary="Register a provider")
def register_provider(request, payload: ProviderIn):
    p = providers.register_provider(actor=request.auth, county_code=payload.county, name=payload.name, uscc=payload.uscc,
                                    registration_authority=payload.registration_authority,
                                    contact_person=payload.contact_person, phone=payload.phone, address=payload.address)
    return Status(201, _provider(p))


@router.get("/providers/{provider_id}", response=responses(ProviderOut), summary="One provider")
def get_provider(request, provider_id: Id):
    return _provider(selectors.get_provider(request.auth, provider_id))


class ProviderWorkerOut(Schema):
    id: int
    provider: int
    staff_identity: int
    name: str
    username: str
    is_active: bool
    joined_on: dt.date
    left_on: dt.date | None


def _worker(w) -> dict:
    user = w.staff_identity.user
    return {"id": w.pk, "provider": w.provider_id, "staff_identity": w.staff_identity_id, "name": w.staff_identity.name,
            "username": user.username if user else "", "is_active": w.is_active, "joined_on": w.joined_on,
            "left_on": w.left_on}


@router.get("/providers/{provider_id}/workers", response=responses(list[ProviderWorkerOut]),
            summary="A provider's workers")
def list_workers(request, provider_id: Id):
    return [_worker(w) for w in selectors.workers_of(selectors.get_provider(request.auth, provider_id))]


class ProviderWorkerIn(InputSchema):
    staff_identity: int = Field(..., ge=1, le=MAX_ID)


@router.post("/providers/{provider_id}/workers", response=responses(ProviderWorkerOut, ok_status=201),
             summary="Link a registered staff member to the provider as its worker")
def add_worker(request, provider_id: Id, payload: ProviderWorkerIn):
    w = providers.register_provider_worker(actor=request.auth, provider_id=provider_id,
                                           staff_identity_id=payload.staff_identity)
    return Status(201, _worker(w))


@router.post("/workers/{worker_id}/end", response=responses(ProviderWorkerOut),
             summary="The worker leaves the provider (refused while tasks are open with them)")
def end_worker(request, worker_id: Id):
    return _worker(providers.end_provider_worker(actor=request.auth, worker_id=worker_id))


# ---- contracts ----------------------------------------------------------------------------------

class QualityOut(Schema):
    contract: int
    sampled: int
    correct: int
    wrong: int
    pending: int
    accuracy: float | None
    target: float
    met: bool | None


class ContractOut(Schema):
    id: int
    reference: str
    provider: int
    provider_name: str
    area: str
    area_name: str
    scopes: list[str]
    starts_on: dt.date
    ends_on: dt.date
    pricing: str
    unit_price: Decimal | None
    lump_sum: Decimal | None
    quality_target: Decimal
    status: str
    signed_on: dt.date | None
    ended_on: dt.date | None


def _contract(c) -> dict:
    return {"id": c.pk, "reference": c.reference, "provider": c.provider_id, "provider_name": c.provider.name,
            "area": c.area_id, "area_name": c.area.name, "scopes": c.scopes, "starts_on": c.starts_on,
            "ends_on": c.ends_on, "pricing": c.pricing, "unit_price": c.unit_price, "lump_sum": c.lump_sum,
            "quality_target": c.quality_target, "status": c.status, "signed_on": c.signed_on, "ended_on": c.ended_on}


class ContractPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ContractOut]


class ContractFilter(PageQuery):
    q: Search = ""
    status: Literal[tuple(ContractStatus.values)] | None = None  # type: ignore[valid-type]
    provider: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/contracts", response=responses(ContractPage),
            summary="Contracts for the post's area or covering it")
def list_contracts(request, filters: Query[ContractFilter]):
    qs = selectors.contracts_for(request.auth, q=filters.q, status=filters.status or "", provider_id=filters.provider)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_contract)


class ContractIn(InputSchema):
    provider: int = Field(..., ge=1, le=MAX_ID)
    reference: _line(40)
    area: AreaCode
    scopes: list[Literal[tuple(ServiceScope.values)]] = Field(..., min_length=1, max_length=4)  # type: ignore[valid-type]
    starts_on: dt.date
    ends_on: dt.date
    pricing: Literal[tuple(Pricing.values)]  # type: ignore[valid-type]
    unit_price: Money | None = None
    lump_sum: Money | None = None
    quality_target: float | None = Field(None, gt=0, le=1)


@router.post("/contracts", response=responses(ContractOut, ok_status=201), summary="Draw up a contract (a draft)")
def draw_up(request, payload: ContractIn):
    c = contracts.draw_up_contract(
        actor=request.auth, provider_id=payload.provider, reference=payload.reference, area_code=payload.area,
        scopes=payload.scopes, starts_on=payload.starts_on, ends_on=payload.ends_on, pricing=payload.pricing,
        unit_price=payload.unit_price, lump_sum=payload.lump_sum,
        quality_target=None if payload.quality_target is None else str(payload.quality_target))
    return Status(201, _contract(c))


@router.get("/contracts/{contract_id}", response=responses(ContractOut), summary="One contract")
def get_contract(request, contract_id: Id):
    return _contract(selectors.get_contract(request.auth, contract_id))


@router.post("/contracts/{contract_id}/sign", response=responses(ContractOut), summary="Sign the draft into force")
def sign(request, contract_id: Id):
    return _contract(contracts.sign_contract(actor=request.auth, contract_id=contract_id))


class ContractEndIn(InputSchema):
    reason: _line(200, required=False) = ""


@router.post("/contracts/{contract_id}/end", response=responses(ContractOut),
             summary="End the contract (refused while tasks under it are open)")
def end(request, contract_id: Id, payload: ContractEndIn):
    return _contract(contracts.end_contract(actor=request.auth, contract_id=contract_id, reason=payload.reason))


@router.get("/contracts/{contract_id}/quality", response=responses(QualityOut),
            summary="Accuracy of the contract's work from spot checks, against its target")
def quality(request, contract_id: Id):
    contract = selectors.get_contract(request.auth, contract_id)
    return quality_of([contract])[contract.pk].as_dict()


# ---- statements ---------------------------------------------------------------------------------

class ProviderStatementOut(Schema):
    id: int
    contract: int
    month: str
    tasks_accepted: int
    amount: Decimal
    payment_status: str
    charge_reference: str
    paid_on: dt.date | None


def _statement(s) -> dict:
    return {"id": s.pk, "contract": s.contract_id, "month": f"{s.month:%Y-%m}", "tasks_accepted": s.tasks_accepted,
            "amount": s.amount, "payment_status": s.payment_status, "charge_reference": s.charge_reference,
            "paid_on": s.paid_on}


@router.get("/contracts/{contract_id}/statements", response=responses(list[ProviderStatementOut]),
            summary="A contract's monthly statements")
def list_statements(request, contract_id: Id):
    contract = selectors.get_contract(request.auth, contract_id)
    return [_statement(s) for s in selectors.statements_for(request.auth, contract_id=contract.pk)]


class StatementsIn(InputSchema):
    county: County
    month: Month


@router.post("/statements", response=responses(list[ProviderStatementOut]),
             summary="Draw up the county's statements of a month (idempotent)")
def generate(request, payload: StatementsIn):
    return [_statement(s) for s in statements.generate_statements(actor=request.auth, county_code=payload.county,
                                                                  month=payload.month)]
