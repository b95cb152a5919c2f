"""Cases over HTTP: /api/v1/cases (DESIGN.md §3; issue 3 part 5).

Reads through `cases.selectors` (scoped: another area's case answers 404); one POST per step of
the workflow, each calling the same service the pages call, so no rule is written twice. The
services check, in order, the area (404), the role (403), the order and guards (409, with a code
such as `transition_not_allowed`, `step_missing`, `stale_case`), then the input (422 with the
field). Send the case's `version` with a step to make a stale client fail with 409 `stale_case`
instead of acting on a case someone else just moved.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Q
from ninja import Body, Field, Path, Query, Router, Schema, Status

from safetynet.core.apischemas import ErrorOut, InputSchema, PageQuery, one_of, responses
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.masking import mask_id_number
from safetynet.programs.facts import texts_in

from . import batch, clocks, selectors, services, steps, supporters
from .models import Case, Status as CaseStatus
from .schemas import MAX_ID, Id, Money, NonBlank, ShortText, SupporterIn, Version

router = Router(tags=["cases"])

CaseId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
ProgramCode = Literal["dibao", "special_hardship", "temporary", "medical"]


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

class CaseOut(Schema):
    id: int
    program: str
    kind: str
    path: str
    status: str
    is_open: bool
    version: int
    household: int
    applicant: int
    applicant_name: str
    covered_person: int | None
    area: str
    channel: str
    requested_amount: Decimal | None
    proposed_amount: Decimal | None
    applied_on: dt.date
    next_action: str
    next_due: dt.date | None
    case_due: dt.date | None
    overdue: bool
    is_close_relative: bool


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseOut]


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    at: dt.datetime
    username: str
    role: str
    area: str
    note: str


class DeadlineOut(Schema):
    step: str
    label: str
    due: dt.date | None
    done_on: dt.date | None
    state: str


class LineOut(Schema):
    item: str
    amount: str | None
    rule: str
    section: str = ""


class OutcomeOut(Schema):
    eligible: bool
    monthly_amount: str
    reasons: list[str]
    breakdown: list[LineOut]


class MemberOut(Schema):
    person_id: int
    name: str
    id_number: str
    relation_to_head: str
    birth_date: dt.date


class DecisionOut(Schema):
    id: int
    outcome: str
    monthly_amount: Decimal
    start_month: dt.date | None
    decided_on: dt.date
    decided_by: str
    reasons: str
    letter_number: str
    letter_due: dt.date | None
    letter_issued_at: dt.datetime | None


class CaseEnrollmentOut(Schema):
    id: int
    status: str
    monthly_amount: Decimal
    start_month: dt.date
    next_recheck_date: dt.date


class CaseDetailOut(CaseOut):
    members: list[MemberOut]
    allowed_actions: list[str]
    timeline: list[EventOut]
    deadlines: list[DeadlineOut]
    outcome: OutcomeOut | None
    decisions: list[DecisionOut]
    enrollments: list[CaseEnrollmentOut]
    surveys: int
    verification_reports: int
    deliberations: int
    objections: int


class TownOut(Schema):
    town_code: str
    town_name: str
    open: int
    overdue: int
    due_today: int


class TownsOut(Schema):
    today: dt.date
    items: list[TownOut]


def _case_out(case: Case, today: dt.date) -> dict:
    return {
        "id": case.pk, "program": case.program_id, "kind": case.kind, "path": case.path, "status": case.status,
        "is_open": case.is_open, "version": case.version, "household": case.household_id, "applicant": case.applicant_id,
        "applicant_name": case.applicant.name, "covered_person": case.covered_person_id, "area": case.area_id,
        "channel": case.channel, "requested_amount": case.requested_amount, "proposed_amount": case.proposed_amount,
        "applied_on": case.applied_on, "next_action": case.next_action, "next_due": case.next_due, "case_due": case.case_due,
        "overdue": bool(case.is_open and case.next_due and case.next_due < today), "is_close_relative": case.is_close_relative,
    }


def _outcome(outcome: dict | None) -> dict | None:
    if not outcome:
        return None
    breakdown, reasons = texts_in(outcome)
    return {"eligible": bool(outcome.get("eligible")), "monthly_amount": str(outcome.get("monthly_amount", "0.00")),
            "reasons": [str(r) for r in reasons],
            "breakdown": [{"item": str(line.get("item", "")), "amount": line.get("amount"), "rule": str(line.get("rule", "")),
                           "section": str(line.get("section", ""))} for line in breakdown]}


def _detail(actor, case_id: int) -> dict:
    """The case with its timeline, clocks, outcome and the steps the caller may take now. ID
    numbers are masked: the API has the registry's endpoints for whole numbers (audited there)."""
    file = selectors.case_file(actor, case_id)
    case = file.case
    return {
        **_case_out(case, file.today),
        "members": [{"person_id": m["person_id"], "name": m.get("name", ""), "id_number": mask_id_number(m.get("id_number", "")),
                     "relation_to_head": m.get("relation_to_head", ""), "birth_date": m["birth_date"]}
                    for m in case.snapshot.get("members", [])],
        "allowed_actions": file.allowed_actions,
        "timeline": [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status, "at": e.at,
                      "username": e.actor_username, "role": e.actor_role, "area": e.actor_area_code, "note": e.note}
                     for e in file.events],
        "deadlines": [{"step": d.step, "label": str(d.label), "due": d.due, "done_on": d.done_on, "state": d.state(file.today)}
                      for d in file.deadlines],
        "outcome": _outcome(case.outcome),
        "decisions": [{"id": d.pk, "outcome": d.outcome, "monthly_amount": d.monthly_amount, "start_month": d.start_month,
                       "decided_on": d.decided_on, "decided_by": d.decided_by, "reasons": d.reasons,
                       "letter_number": d.letter_number, "letter_due": d.letter_due, "letter_issued_at": d.letter_issued_at}
                      for d in file.decisions],
        "enrollments": [{"id": e.pk, "status": e.status, "monthly_amount": e.monthly_amount, "start_month": e.start_month,
                         "next_recheck_date": e.next_recheck_date} for e in file.enrollments],
        "surveys": len(file.surveys), "verification_reports": len(file.verification_reports),
        "deliberations": len(file.deliberations), "objections": len(file.objections),
    }


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------

class CaseFilter(PageQuery):
    status: Literal[tuple(CaseStatus.values)] | None = Field(None, description="a workflow status")  # type: ignore[valid-type]
    program: ProgramCode | None = None
    overdue: bool | None = Field(None, description="true: open cases past their step's due date; false: the others")
    open: bool | None = Field(None, description="true: open cases only; false: closed only")


@router.get("", response=responses(CasePage), summary="Cases in scope")
def list_cases(request, filters: Query[CaseFilter]):
    actor = request.auth
    qs = selectors.cases_in_scope(actor)
    today = clocks.today()
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.program:
        qs = qs.filter(program_id=filters.program)
    if filters.open is not None:
        qs = qs.filter(is_open=filters.open)
    late = Q(is_open=True, next_due__lt=today)
    if filters.overdue is True:
        qs = qs.filter(late)
    elif filters.overdue is False:
        qs = qs.exclude(late)
    count = qs.count()
    page = qs.select_related("applicant").order_by("-id")[filters.offset:filters.offset + filters.limit]
    return {"count": count, "limit": filters.limit, "offset": filters.offset, "items": [_case_out(c, today) for c in page]}


@router.get("/overdue-by-town", response=responses(TownsOut), summary="Open and overdue cases per town",
            url_name="cases_overdue_by_town")
def overdue_by_town(request):
    rows = selectors.overdue_by_town(request.auth)
    return {"today": clocks.today(), "items": [vars(r) for r in rows]}


# Before "/{case_id}": Django tries the routes in order.
class BatchCaseIn(InputSchema):
    id: int = Field(..., ge=1, le=MAX_ID)
    version: Version


class BatchIn(InputSchema):
    action: Literal[steps.ON_THE_QUEUE] = Field(..., description="the step to take for every case")
    cases: list[BatchCaseIn] = Field(..., min_length=1, max_length=batch.MAX_BATCH)


class BatchResultOut(Schema):
    case: int | None = Field(..., description="the case; null for an application that was not filed")
    ok: bool
    status: str = Field(..., description="the case's status after the step; empty when it was refused")
    error: ErrorOut | None = Field(None, description="why the step was refused for this case")


class BatchOut(Schema):
    action: str
    done: int
    refused: int
    results: list[BatchResultOut]


@router.post("/batch", response=responses(BatchOut), summary="Take one step for many cases at once")
def take_batch(request, payload: BatchIn):
    """Publish notices, close notices or confirm, for up to 100 cases: each case through the
    step's own service, the same checks as one at a time, in one transaction for the batch. A case refused
    is reported with its reason and leaves the others done; the answer is 200 either way. 403 or
    422 refuse the whole batch before any case is touched (a role without the step, a bad list)."""
    return _batch_answer(payload.action, batch.take_step_for_cases(
        actor=request.auth, action=payload.action, case_ids=[c.id for c in payload.cases],
        versions={c.id: c.version for c in payload.cases if c.version is not None}))


@router.get("/{case_id}", response=responses(CaseDetailOut), summary="One case: timeline, clocks, outcome, allowed steps")
def get_case(request, case_id: CaseId):
    return _detail(request.auth, case_id)


# --------------------------------------------------------------------------------------------
# Writes: the application, then one endpoint per step
# --------------------------------------------------------------------------------------------

# The application's body: one shape per program (and per channel: an entrusted application names
# who entrusted it), so every body the schema allows is one the service can take. A person who is
# not a living member of the household is, for that household, not found (404).
class _ApplyCommon(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)
    applicant: int = Field(..., ge=1, le=MAX_ID, description="a living member of the household")
    reason: ShortText = ""


class _Direct(InputSchema):
    channel: Literal["walk_in", "online", "from_lead"]


class _Entrusted(InputSchema):
    channel: Literal["entrusted_by_village"]
    entrusted_by: NonBlank = Field(..., description="the village committee or person who applied on the household's behalf")


class _DibaoHousehold(InputSchema):
    program: Literal["dibao"]
    kind: Literal["household"] = "household"


class _DibaoIndividual(InputSchema):
    program: Literal["dibao"]
    kind: Literal["individual"]
    covered_person: int = Field(..., ge=1, le=MAX_ID, description="the member covered alone (MLG-2021 art. 8)")


class _SpecialHardship(InputSchema):
    program: Literal["special_hardship"]
    covered_person: int | None = Field(None, ge=1, le=MAX_ID, description="the person to support (default: the applicant)")


class _Temporary(InputSchema):
    program: Literal["temporary"]
    kind: Literal["emergency", "quick", "ordinary"]
    requested_amount: Money


def _apply_schemas() -> tuple:
    models = []
    for program_name, program in (("DibaoHousehold", _DibaoHousehold), ("DibaoIndividual", _DibaoIndividual),
                                  ("SpecialHardship", _SpecialHardship), ("Temporary", _Temporary)):
        for channel_name, channel in (("", _Direct), ("Entrusted", _Entrusted)):
            models.append(type(f"Apply{program_name}{channel_name}In", (program, channel, _ApplyCommon), {}))
    return tuple(models)


def _application_branch(body: dict) -> str | None:
    """Which of the application bodies `body` claims to be, from its program (and a dibao's kind,
    and whether it was entrusted): its errors are that body's only."""
    program = body.get("program")
    name = {"dibao": "DibaoIndividual" if body.get("kind") == "individual" else "DibaoHousehold",
            "special_hardship": "SpecialHardship", "temporary": "Temporary"}.get(program if isinstance(program, str) else "")
    if name is None:
        return None
    return f"Apply{name}{'Entrusted' if body.get('channel') == 'entrusted_by_village' else ''}In"


APPLY_SCHEMAS = _apply_schemas()
ApplyIn = one_of(APPLY_SCHEMAS, _application_branch, field="program", choices=("dibao", "special_hardship", "temporary"))


def _application_inputs(payload) -> dict:
    return {"program_code": payload.program, "household_id": payload.household, "applicant_id": payload.applicant,
            "channel": payload.channel, "entrusted_by": getattr(payload, "entrusted_by", ""),
            "kind": getattr(payload, "kind", None), "covered_person_id": getattr(payload, "covered_person", None),
            "requested_amount": getattr(payload, "requested_amount", None), "reason": payload.reason}


@router.post("", response=responses(CaseDetailOut, ok_status=201), summary="File an application")
def apply(request, payload: Body[ApplyIn]):   # (Body: ninja does not see a tagged union as a body)
    try:
        case = services.apply_for_assistance(actor=request.auth, **_application_inputs(payload))
    except ValidationError as exc:
        if exc.field in ("applicant", "covered_person"):
            raise NotFound(exc.message, field=exc.field)
        raise
    return Status(201, _detail(request.auth, case.pk))


class SupporterOut(Schema):
    id: int
    name: str
    id_number: str
    birth_date: dt.date | None
    relation: str
    inability: str
    disability_type: str
    disability_grade: int | None
    note: str
    recorded_by: str


class ProposedSupporterOut(Schema):
    """A relative the registry lists who is bound by law to support the person, with the rule's
    verdict on his own household's facts (`inability`: the reason it finds, `none`: able)."""

    name: str
    id_number: str
    birth_date: dt.date
    relation: str
    same_household: bool
    inability: str
    why: str
    notes: list[str]
    recorded: bool


class BatchApplicationsIn(InputSchema):
    applications: list[ApplyIn] = Field(..., min_length=1, max_length=batch.MAX_BATCH)


def _batch_answer(action: str, results) -> dict:
    done = sum(r.ok for r in results)
    return {"action": action, "done": done, "refused": len(results) - done,
            "results": [{"case": r.case_id, "ok": r.ok, "status": r.status, "error": r.error} for r in results]}


@router.post("/batch/applications", response=responses(BatchOut), summary="File many applications at once")
def apply_batch(request, payload: BatchApplicationsIn):
    """Up to 100 applications (a village's entrusted list, say), each the body of `POST /cases`,
    each filed through the same service. An application refused (a household already applying,
    a person not in the household) is reported with its reason, `case` null, and leaves the
    others filed; two for the same household in one list: the second is refused."""
    return _batch_answer("apply", batch.apply_for_households(
        actor=request.auth, applications=[_application_inputs(a) for a in payload.applications]))


# ---- the steps, from the one table (cases/steps.py): for each step its batch body where it has
# one (each case the step's body plus its id), then one endpoint each; the batch routes come
# first, as Django tries the routes in order.

class _BatchCase(InputSchema):
    id: Id


def _batch_endpoint(step: steps.Step) -> None:
    many = step.many.endpoint
    # Extra fields are refused, not ignored (InputSchema): a field the batch does not take (a
    # survey's supporters) would otherwise be lost without a word.
    item = type(f"Batch{many.schema}CaseIn", (many.item, _BatchCase), {"__module__": __name__})
    body = type(f"Batch{many.schema}In", (InputSchema,), {
        "__module__": __name__, "__annotations__": {"cases": list[item]},
        "cases": Field(..., min_length=1, max_length=batch.MAX_BATCH)})

    def take_for_cases(request, payload):
        return _batch_answer(step.action, batch.take_steps(actor=request.auth, action=step.action, items=[
            {"case": c.id, "version": c.version, **step.inputs(c.dict())} for c in payload.cases]))
    take_for_cases.__name__ = take_for_cases.__qualname__ = many.name
    take_for_cases.__doc__ = many.description
    take_for_cases.__annotations__ = {"payload": body}
    router.post(f"/batch/{many.path}", response=responses(BatchOut), summary=many.summary)(take_for_cases)


def _step_endpoint(step: steps.Step) -> None:
    def take(request, case_id, payload):
        step.service(actor=request.auth, case_id=case_id, version=payload.version, **step.inputs(payload.dict()))
        return _detail(request.auth, case_id)
    take.__name__ = take.__qualname__ = step.endpoint.name
    take.__annotations__ = {"case_id": CaseId, "payload": step.endpoint.body}
    router.post(f"/{{case_id}}/{step.endpoint.path}", response=responses(CaseDetailOut),
                summary=step.endpoint.summary)(take)


for _step in steps.sealed().values():
    if _step.many and _step.many.endpoint:
        _batch_endpoint(_step)
for _step in steps.sealed().values():
    if _step.endpoint:
        _step_endpoint(_step)


# --------------------------------------------------------------------------------------------
# Supporters of a special-hardship applicant (not a step: the list changes until the town opinion)
# --------------------------------------------------------------------------------------------

def _supporter_out(row) -> dict:
    return {"id": row.pk, "name": row.name, "id_number": mask_id_number(row.id_number) if row.id_number else "",
            "birth_date": row.birth_date, "relation": row.relation, "inability": row.inability,
            "disability_type": row.disability_type, "disability_grade": row.disability_grade, "note": row.note,
            "recorded_by": row.recorded_by}


@router.get("/{case_id}/supporters", response=responses(list[SupporterOut]), summary="The supporters recorded on a case")
def list_supporters(request, case_id: CaseId):
    return [_supporter_out(s) for s in supporters.supporters_of(request.auth, case_id)]


@router.post("/{case_id}/supporters", response=responses(SupporterOut, ok_status=201),
             summary="Record a supporter of a special-hardship applicant (the same ID number again corrects him)")
def record_supporter(request, case_id: CaseId, payload: SupporterIn):
    row = supporters.record_supporter(actor=request.auth, case_id=case_id, **payload.dict())
    return Status(201, _supporter_out(row))


@router.get("/{case_id}/supporters/proposed", response=responses(list[ProposedSupporterOut]),
            summary="The supporters the registry proposes (relatives bound by law, judged on their own households)")
def list_proposed_supporters(request, case_id: CaseId):
    return [{"name": k.name, "id_number": mask_id_number(k.id_number), "birth_date": k.birth_date, "relation": k.relation,
             "same_household": k.same_household, "inability": k.inability, "why": str(k.why) if k.why else "",
             "notes": [str(n) for n in k.notes], "recorded": k.recorded}
            for k in supporters.proposed_supporters(request.auth, case_id)]


@router.post("/{case_id}/supporters/proposed", response=responses(list[SupporterOut], ok_status=201),
             summary="Record every supporter the registry proposes that is not recorded yet, in one action")
def record_proposed_supporters(request, case_id: CaseId):
    rows = supporters.record_proposed_supporters(actor=request.auth, case_id=case_id)
    return Status(201, [_supporter_out(row) for row in rows])


@router.delete("/{case_id}/supporters/{supporter_id}", response=responses(None, ok_status=204),
               summary="Take a supporter off the case")
def remove_supporter(request, case_id: CaseId, supporter_id: Annotated[int, Path(..., ge=1, le=MAX_ID)]):
    supporters.remove_supporter(actor=request.auth, case_id=case_id, supporter_id=supporter_id)
    return Status(204, None)


from .roll_api import router as roll_router  # noqa: E402

router.add_router("", roll_router)
