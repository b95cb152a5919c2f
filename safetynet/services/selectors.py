"""Reads of purchased services, through the post's scope (DESIGN.md §8 rule 5).

Providers and contracts are the county's: a town post reads the providers of its county and the
contracts covering its town (a county-wide contract, or one for the town), which sit above its
area; so they are read by the areas *covering* the post (`covering`) as well as those under it.
Tasks carry the area of their work and are read through `core.scoping.in_scope` like the rest.
A provider's worker reads only its own tasks (`tasks_of_worker`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases.models import Case
from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import clean_text
from safetynet.discovery.models import OPEN_STATUSES as OPEN_LEAD_STATUSES
from safetynet.discovery.models import Lead
from safetynet.enrollments.change_models import Recheck, RecheckStatus
from safetynet.programs.catalogue import WORKFORCE
from safetynet.programs.selectors import parameters_for
from safetynet.workforce.models import StaffIdentity, StaffKind

from .models import OPEN_TASK_STATUSES, Contract, Provider, ProviderStatement, ProviderWorker, ServiceTask

VIEW = "services.view"


def covering(area_code: str) -> list[str]:
    """The area codes above `area_code` (county, city, province) and itself: a contract for any
    of them covers it."""
    return [area_code[:n] for n in (2, 4, 6, 9, 12, 15, 18) if len(area_code) >= n]


def _near(actor: Actor, field: str = "area") -> Q:
    """Rows whose area lies under the post's, or covers it."""
    if actor.is_national:
        return Q()
    return Q(**{f"{field}__code__startswith": actor.area_code}) | Q(**{f"{field}_id__in": covering(actor.area_code)})


def providers_for(actor: Actor, *, q: str = "", active_only: bool = False) -> QuerySet[Provider]:
    actor.require(VIEW)
    qs = Provider.objects.filter(_near(actor)).select_related("area")
    if active_only:
        qs = qs.filter(is_active=True)
    q = clean_text(q, field="q", max_length=50)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__icontains=q) | Q(contact_person__icontains=q))
    return qs


def get_provider(actor: Actor, provider_id: int) -> Provider:
    return get_near(providers_for(actor), pk=provider_id)


def get_near(qs: QuerySet, **lookup):
    """One row of a covering read (`providers_for`, `contracts_for`), or NotFound (404)."""
    row = qs.filter(**lookup).first()
    if row is None:
        raise NotFound(_("Not found."))
    return row


def workers_of(provider: Provider, *, active_only: bool = False) -> QuerySet[ProviderWorker]:
    qs = provider.workers.select_related("staff_identity", "staff_identity__user")
    return qs.filter(is_active=True) if active_only else qs


def contracts_for(actor: Actor, *, q: str = "", status: str = "", provider_id: int | None = None) -> QuerySet[Contract]:
    """The contracts a post reads: those for its area or below it, and those covering it."""
    actor.require(VIEW)
    qs = Contract.objects.filter(_near(actor)).select_related("provider", "area")
    if status:
        qs = qs.filter(status=status)
    if provider_id:
        qs = qs.filter(provider_id=provider_id)
    q = clean_text(q, field="q", max_length=50)
    if q:
        qs = qs.filter(Q(reference__icontains=q) | Q(provider__name__icontains=q))
    return qs


def get_contract(actor: Actor, contract_id: int) -> Contract:
    return get_near(contracts_for(actor), pk=contract_id)


def tasks_in_scope(actor: Actor, *, contract_id: int | None = None, status: str = "", q: str = "") -> QuerySet[ServiceTask]:
    """The tasks whose work lies in the post's area."""
    actor.require(VIEW)
    qs = in_scope(ServiceTask.objects.select_related(
        "contract", "contract__provider", "worker__staff_identity", "area", "household"), actor)
    if contract_id:
        qs = qs.filter(contract_id=contract_id)
    if status:
        qs = qs.filter(status=status)
    q = clean_text(q, field="q", max_length=50)
    if q:
        qs = qs.filter(Q(worker__staff_identity__name__icontains=q) | Q(household__address__icontains=q)
                       | Q(area__name__icontains=q))
    return qs


def get_task(actor: Actor, task_id: int) -> ServiceTask:
    actor.require(VIEW)
    return get_in_scope(ServiceTask.objects.select_related("contract", "contract__provider", "worker__staff_identity",
                                                           "area"), actor, pk=task_id)


def tasks_of_worker(actor: Actor, *, status: str = "") -> QuerySet[ServiceTask]:
    """A provider's worker's own tasks: those given to a staff identity of the post's login."""
    qs = ServiceTask.objects.filter(worker__staff_identity__user_id=actor.user_id) if actor.user_id \
        else ServiceTask.objects.none()
    qs = qs.filter(area__code__startswith=actor.area_code).select_related(
        "contract", "contract__provider", "area", "household")
    return qs.filter(status=status) if status else qs


def statements_for(actor: Actor, *, contract_id: int | None = None) -> QuerySet[ProviderStatement]:
    actor.require(VIEW)
    qs = ProviderStatement.objects.filter(_near(actor)).select_related("contract", "contract__provider")
    return qs.filter(contract_id=contract_id) if contract_id else qs


# ---- what a town has open, against its norm ---------------------------------------------------

@dataclass
class TownLoad:
    code: str
    name: str
    open_items: int
    workers: int
    per_worker: int
    lent: int

    @property
    def norm(self) -> int:
        return self.workers * self.per_worker

    @property
    def over(self) -> int:
        return max(0, self.open_items - self.lent - self.norm)


def town_loads(actor: Actor, on: dt.date) -> list[TownLoad]:
    """Each town of the post's area: its open cases, re-checks and leads, its active town staff,
    the norm (`open_items_per_worker` of WORKFORCE × staff) and the work already with providers.
    (The workload overview, issue 19 part 2, will read this from its own figures.)"""
    def by_town(qs) -> dict[str, int]:
        return dict(qs.annotate(town=Substr("area_id", 1, 9)).values("town").annotate(n=Count("id"))
                    .values_list("town", "n"))

    cases = by_town(in_scope(Case.objects.filter(is_open=True), actor))
    rechecks = by_town(in_scope(Recheck.objects.filter(status=RecheckStatus.OPEN), actor))
    leads = by_town(in_scope(Lead.objects.filter(status__in=OPEN_LEAD_STATUSES), actor))
    staff = by_town(in_scope(StaffIdentity.objects.filter(is_active=True, kind=StaffKind.TOWN_STAFF), actor))
    lent = by_town(in_scope(ServiceTask.objects.filter(status__in=OPEN_TASK_STATUSES), actor))
    towns = in_scope(Area.objects.filter(level=Level.TOWN), actor, "parent").order_by("code") \
        if len(actor.area_code) < 9 else Area.objects.filter(code=actor.area_code)
    loads = []
    for code, name in towns.values_list("code", "name"):
        per_worker = int(parameters_for(WORKFORCE, code, on)["open_items_per_worker"])
        loads.append(TownLoad(code=code, name=name, open_items=cases.get(code, 0) + rechecks.get(code, 0) + leads.get(code, 0),
                              workers=staff.get(code, 0), per_worker=per_worker, lent=lent.get(code, 0)))
    return loads


def lendable_work(actor: Actor, town_code: str, *, kind: str, limit: int = 200) -> list[dict]:
    """The town's open work of one kind not already with a provider, oldest first, for the lending
    form: [{"key", "kind", "id", "label", "area", "since"}]."""
    actor.require_area(town_code)
    if kind == "case":
        qs = in_scope(Case.objects.filter(is_open=True, area__code__startswith=town_code), actor) \
            .exclude(pk__in=ServiceTask.objects.filter(status__in=OPEN_TASK_STATUSES, case__isnull=False).values("case_id")) \
            .order_by("applied_on", "id").values_list("id", "status", "area__name", "applied_on", "household__head__name")
        return [{"key": f"case:{i}", "kind": "case", "id": i, "label": f"#{i} {name or ''}", "status": status,
                 "area": area, "since": on} for i, status, area, on, name in qs[:limit]]
    if kind == "recheck":
        qs = in_scope(Recheck.objects.filter(status=RecheckStatus.OPEN, area__code__startswith=town_code), actor) \
            .exclude(pk__in=ServiceTask.objects.filter(status__in=OPEN_TASK_STATUSES, recheck__isnull=False)
                     .values("recheck_id")) \
            .order_by("opened_on", "id").values_list("id", "reason", "area__name", "opened_on",
                                                     "enrollment__household__head__name")
        return [{"key": f"recheck:{i}", "kind": "recheck", "id": i, "label": f"#{i} {name or ''}", "status": reason,
                 "area": area, "since": on} for i, reason, area, on, name in qs[:limit]]
    qs = in_scope(Lead.objects.filter(status__in=OPEN_LEAD_STATUSES, area__code__startswith=town_code), actor) \
        .exclude(pk__in=ServiceTask.objects.filter(status__in=OPEN_TASK_STATUSES, lead__isnull=False).values("lead_id")) \
        .order_by("opened_on", "id").values_list("id", "status", "area__name", "opened_on", "name")
    return [{"key": f"lead:{i}", "kind": "lead", "id": i, "label": f"L{i:06d} {name or ''}", "status": status,
             "area": area, "since": on} for i, status, area, on, name in qs[:limit]]
