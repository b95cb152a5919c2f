"""The demo county's purchased service (issue 19 part 4), built through the services an office uses:
the county registers a social-work centre (a valid unified social credit code) and its two
social workers (the demo logins `social_worker`, `social_worker2`: provider_worker posts at the
county), signs a contract for household surveys and active discovery at ¥80 an accepted task, and
lends the most loaded town's oldest open cases and leads to them; a few are handed in and
accepted, and this month's statement is drawn up. Quality shows the spot-check campaign's
verdicts where it re-visited their work (else "not yet sampled"). Run again, it finds what it
left."""
from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import uscc

from safetynet.areas.actors import actor_for_post
from safetynet.areas.models import Post
from safetynet.core.idnumbers import make_id_number
from safetynet.core.scoping import Actor
from safetynet.workforce.models import Employment, StaffIdentity, StaffKind
from safetynet.workforce.services import register_staff_identity

from . import contracts, providers, selectors, statements, tasks
from .models import Contract, Provider, ProviderWorker, ServiceTask
from .quality import quality_of
from .tasks import WorkRef

LOGINS = (("social_worker", "社工"), ("social_worker2", "社工"))
CASES, LEADS, SUBMITTED, ACCEPTED = 6, 2, 4, 3


def demo_uscc(county_code: str) -> str:
    body = f"52{county_code}MJ0A88888"[:17]
    return body + uscc.calc_check_digit(body)


def _identity(actor: Actor, user, rnd: random.Random, county_code: str) -> StaffIdentity:
    existing = StaffIdentity.objects.filter(user=user, is_active=True).first()
    if existing is not None:
        return existing
    while True:      # born elsewhere (行唐县), so no resident of the county shares the number
        number = make_id_number("130125", dt.date(1988, 1, 1) + dt.timedelta(days=rnd.randint(0, 3000)),
                                rnd.randint(100, 899), "female" if rnd.random() < 0.7 else "male")
        if not StaffIdentity.objects.filter(id_number=number, is_active=True).exists():
            break
    name = (user.last_name + user.first_name) or user.username
    return register_staff_identity(actor=actor, name=name, id_number=number, area_code=county_code,
                                   kind=StaffKind.COUNTY_STAFF, employment=Employment.PROVIDER_WORKER,
                                   post_title="社会工作者", user_id=user.pk)


def build_provider_demo(*, officer: Actor, county_code: str, today: dt.date, users: dict, seed: int = 0) -> dict:
    """`users`: the demo logins by username (those of LOGINS). Returns counts for the demo's log."""
    rnd = random.Random(f"{seed}:services")
    provider = Provider.objects.filter(uscc=demo_uscc(county_code)).first() or providers.register_provider(
        actor=officer, county_code=county_code, name="正定县启航社会工作服务中心", uscc=demo_uscc(county_code),
        registration_authority="正定县民政局", contact_person="孟晓华", phone="0311-88012345",
        address="正定镇燕赵南大街18号")
    workers = []
    for username, _title in LOGINS:
        identity = _identity(officer, users[username], rnd, county_code)
        worker = ProviderWorker.objects.filter(staff_identity=identity, is_active=True).first() \
            or providers.register_provider_worker(actor=officer, provider_id=provider.pk, staff_identity_id=identity.pk)
        workers.append(worker)
    reference = f"ZDMZ-GM-{today.year}-01"
    contract = Contract.objects.filter(provider=provider, reference=reference).first()
    if contract is None:
        contract = contracts.draw_up_contract(
            actor=officer, provider_id=provider.pk, reference=reference, area_code=county_code,
            scopes=["survey", "discovery"], starts_on=today.replace(day=1) - dt.timedelta(days=60),
            ends_on=dt.date(today.year + 1, 6, 30), pricing="per_task", unit_price="80.00")
        contracts.sign_contract(actor=officer, contract_id=contract.pk, on=today.replace(day=1) - dt.timedelta(days=60))
    if not contract.tasks.exists():
        loads = selectors.town_loads(officer, today)
        town = max(loads, key=lambda t: (t.over, t.open_items)).code
        cases = [WorkRef("case", i["id"]) for i in selectors.lendable_work(officer, town, kind="case")
                 if i["status"] == "accepted"][:CASES]
        leads = [WorkRef("lead", i["id"]) for i in selectors.lendable_work(officer, town, kind="lead")][:LEADS]
        half = len(cases) // 2
        for worker, items in ((workers[0], cases[:half]), (workers[1], cases[half:])):
            if items:
                tasks.assign_to_provider(actor=officer, contract_id=contract.pk, worker_id=worker.pk, kind="survey",
                                         items=items, due_on=today + dt.timedelta(days=14), note="镇里超负荷，借调社工入户")
        if leads:
            tasks.assign_to_provider(actor=officer, contract_id=contract.pk, worker_id=workers[0].pk, kind="discovery",
                                     items=leads, due_on=today + dt.timedelta(days=7))
        handed_in = list(contract.tasks.order_by("id")[:SUBMITTED])
        for task in handed_in:
            owner = next(w for w in workers if w.pk == task.worker_id)
            post = Post.objects.filter(user_id=owner.staff_identity.user_id, role="provider_worker", is_active=True) \
                .select_related("user", "area").first()
            tasks.submit_task(actor=actor_for_post(post), task_id=task.pk, note="已入户调查，材料已上传。")
        tasks.accept_tasks(actor=officer, task_ids=[t.pk for t in handed_in[:ACCEPTED]])
        statements.generate_statements(actor=officer, county_code=county_code, month=today)
    quality = quality_of([contract])[contract.pk]
    return {"provider": provider.pk, "workers": len(workers), "contract": contract.pk,
            "tasks": contract.tasks.count(), "accepted": contract.tasks.filter(status="accepted").count(),
            "statements": contract.statements.count(), "sampled": quality.sampled,
            "open_tasks": ServiceTask.objects.filter(contract=contract, status__in=["assigned", "submitted"]).count()}
