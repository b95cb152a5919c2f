"""Providers, contracts, assignments, their refusals, the task transitions, quality from spot-check
verdicts and statements (issue 19 part 4)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from safetynet.core.errors import Conflict, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.oversight.spotcheck_models import SpotCheckCampaign, SpotCheckItem
from safetynet.services import contracts, providers, statements, tasks
from safetynet.services.models import ProviderStatement, ServiceTask
from safetynet.services.quality import quality_of
from safetynet.services.tasks import WorkRef
from safetynet.workload.models import WorkAssignment
from tests.cases_helpers import D
from tests.conftest import COUNTY, force_login
from tests.services_helpers import give, valid_uscc, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


# ---- providers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, reason", [("52130123MJ000000", "uscc_length"), ("52130123MJ00000010", "uscc_checksum"),
                                          ("52130123MJ000000I1", "uscc_format")])
def test_a_bad_credit_code_is_refused_saying_why(officer, code, reason):
    with pytest.raises(ValidationError) as refused:
        providers.register_provider(actor=officer, county_code=COUNTY, name="某中心", uscc=code, registration_authority="县民政局",
                                    contact_person="王敏", phone="13800000000")
    assert refused.value.code == reason and refused.value.field == "uscc"


def test_a_provider_is_registered_once_with_a_valid_phone(officer):
    code = valid_uscc(42)
    with pytest.raises(ValidationError) as bad_phone:
        providers.register_provider(actor=officer, county_code=COUNTY, name="某中心", uscc=code, registration_authority="县民政局",
                                    contact_person="王敏", phone="电话")
    assert bad_phone.value.field == "phone"
    p = providers.register_provider(actor=officer, county_code=COUNTY, name=" 某中心 ", uscc=code.lower(),
                                    registration_authority="县民政局", contact_person="王敏", phone="13800000000")
    assert p.uscc == code and p.name == "某中心"
    assert AuditEvent.objects.filter(action="services.register_provider").exists()
    with pytest.raises(Conflict):
        providers.register_provider(actor=officer, county_code=COUNTY, name="另一个", uscc=code, registration_authority="县民政局",
                                    contact_person="李", phone="13800000001")


def test_a_person_works_for_one_provider_at_a_time(world):
    w = world
    second = providers.register_provider(actor=w.posts.officer, county_code=COUNTY, name="第二中心", uscc=valid_uscc(),
                                         registration_authority="县民政局", contact_person="李", phone="13800000002")
    with pytest.raises(Conflict):
        providers.register_provider_worker(actor=w.posts.officer, provider_id=second.pk,
                                           staff_identity_id=w.worker.staff_identity_id)


# ---- contracts ------------------------------------------------------------------------------------

def _draft(w, **changes):
    values = dict(actor=w.posts.officer, provider_id=w.provider.pk, reference="ZD-2", area_code=COUNTY,
                  scopes=["survey"], starts_on="2025-09-01", ends_on="2025-12-31", pricing="per_task", unit_price="50.00")
    values.update(changes)
    return contracts.draw_up_contract(**values)


@pytest.mark.parametrize("changes, field", [
    ({"ends_on": "2025-08-01"}, "ends_on"),
    ({"scopes": []}, "scopes"),
    ({"scopes": ["cooking"]}, "scopes"),
    ({"unit_price": "50.005"}, "unit_price"),
    ({"unit_price": "0"}, "unit_price"),
    ({"lump_sum": "1000.00"}, "lump_sum"),
    ({"pricing": "lump_sum", "unit_price": ""}, "lump_sum"),
    ({"quality_target": "1.5"}, "quality_target"),
    ({"area_code": "130123100001"}, "area"),
])
def test_a_bad_contract_is_refused_by_its_field(world, changes, field):
    with pytest.raises(ValidationError) as refused:
        _draft(world, **changes)
    assert refused.value.field == field


def test_a_contract_moves_draft_active_ended_only_by_its_table(world):
    w = world
    c = _draft(w, pricing="lump_sum", unit_price=None, lump_sum="12000.00", quality_target="90%")
    assert c.status == "draft" and c.quality_target == Decimal("0.900")
    with pytest.raises(Conflict):
        contracts.transition(c, "draft", actor=w.posts.officer)
    contracts.sign_contract(actor=w.posts.officer, contract_id=c.pk)
    with pytest.raises(Conflict):
        contracts.sign_contract(actor=w.posts.officer, contract_id=c.pk)
    ended = contracts.end_contract(actor=w.posts.officer, contract_id=c.pk, reason="期满")
    assert ended.status == "ended" and ended.ended_on == w.clock()


def test_a_contract_with_open_tasks_does_not_end(world):
    w = world
    give(w, [WorkRef("case", w.case.pk)])
    with pytest.raises(Conflict) as refused:
        contracts.end_contract(actor=w.posts.officer, contract_id=w.contract.pk)
    assert refused.value.code == "open_tasks"


# ---- assigning: every refusal with its reason ------------------------------------------------------

def test_assigning_creates_the_task_and_a_lent_assignment_ending_the_town_workers(world):
    w = world
    from safetynet.workforce.models import StaffIdentity

    town_staff = StaffIdentity.objects.create(name="镇干部", id_number="130183199001010011", area_id=w.case.area_id[:9],
                                              kind="town_staff")
    before = WorkAssignment.objects.create(kind="case", case=w.case, household_id=w.case.household_id,
                                           area_id=w.case.area_id, worker=town_staff, reason="chosen",
                                           assigned_at=dt.datetime(2025, 9, 1, tzinfo=dt.timezone.utc))
    [r] = give(w, [WorkRef("case", w.case.pk)])
    task = ServiceTask.objects.get(pk=r.task.pk)
    assert task.status == "assigned" and task.due_on == w.contract.ends_on and task.kind == "survey"
    lent = WorkAssignment.objects.get(pk=task.assignment_id)
    assert lent.is_current and lent.reason == "lent" and lent.worker_id == w.worker.staff_identity_id
    before.refresh_from_db()
    assert not before.is_current and before.ended_at is not None
    assert task.events.get().to_status == "assigned"
    assert AuditEvent.objects.filter(action="services.assign_to_provider").count() == 1


def test_each_item_is_refused_alone_with_its_reason(world):
    w = world
    town_contract = _draft(w, reference="ZD-TOWN", area_code=w.case.area_id[:9], scopes=["survey", "discovery"])
    contracts.sign_contract(actor=w.posts.officer, contract_id=town_contract.pk)
    give(w, [WorkRef("case", w.case2.pk)])
    results = give(w, [WorkRef("case", w.case.pk), WorkRef("lead", w.lead.pk), WorkRef("case", w.far_case.pk),
                       WorkRef("case", w.case2.pk), WorkRef("case", 999999), WorkRef("case", w.payroll.case.pk)],
                   contract=town_contract)
    codes = {r.item.key: (r.error.code if r.error else "ok") for r in results}
    assert codes == {f"case:{w.case.pk}": "ok", f"lead:{w.lead.pk}": "outside_scope",
                     f"case:{w.far_case.pk}": "outside_area", f"case:{w.case2.pk}": "already_assigned",
                     "case:999999": "not_found", f"case:{w.payroll.case.pk}": "not_open"}
    assert ServiceTask.objects.filter(contract=town_contract).count() == 1


def test_refusals_of_the_whole_list(world):
    w = world
    item = [WorkRef("case", w.case.pk)]
    with pytest.raises(ValidationError) as wrong_service:
        give(w, item, kind="care")
    assert wrong_service.value.code == "outside_scope"
    with pytest.raises(ValidationError) as too_late:
        tasks.assign_to_provider(actor=w.posts.officer, contract_id=w.contract.pk, worker_id=w.worker.pk, kind="survey",
                                 items=item, due_on="2026-07-01")
    assert too_late.value.code == "outside_period"
    draft = _draft(w, reference="ZD-3")
    with pytest.raises(ValidationError) as not_signed:
        give(w, item, contract=draft)
    assert not_signed.value.code == "contract_not_active"
    future = _draft(w, reference="ZD-4", starts_on="2025-12-01", ends_on="2025-12-31")
    contracts.sign_contract(actor=w.posts.officer, contract_id=future.pk)
    with pytest.raises(ValidationError) as before_period:
        give(w, item, contract=future)
    assert before_period.value.code == "outside_period"
    with pytest.raises(ValidationError) as not_ours:
        tasks.assign_to_provider(actor=w.posts.officer, contract_id=w.contract.pk, worker_id=999999, kind="survey",
                                 items=item)
    assert not_ours.value.code == "not_providers_worker"
    w.worker.is_active = False
    w.worker.save()
    with pytest.raises(ValidationError) as gone:
        give(w, item)
    assert gone.value.code == "worker_inactive"
    assert not ServiceTask.objects.exists()


# ---- transitions --------------------------------------------------------------------------------

def test_a_task_is_submitted_then_accepted_or_rejected_once(world):
    w = world
    [a, b] = give(w, [WorkRef("case", w.case.pk), WorkRef("case", w.case2.pk)])
    with pytest.raises(Conflict):      # not handed in yet
        tasks.accept_task(actor=w.posts.officer, task_id=a.task.pk)
    tasks.submit_task(actor=w.worker_actor, task_id=a.task.pk, note="已入户")
    with pytest.raises(Conflict):
        tasks.submit_task(actor=w.worker_actor, task_id=a.task.pk)
    with pytest.raises(ValidationError):
        tasks.reject_task(actor=w.posts.officer, task_id=a.task.pk, reason="  ")
    results = tasks.accept_tasks(actor=w.posts.officer, task_ids=[a.task.pk, b.task.pk])
    assert [r.ok for r in results] == [True, False] and results[1].error.code == "wrong_status"
    a_task = ServiceTask.objects.get(pk=a.task.pk)
    assert a_task.status == "accepted" and a_task.decided_on == w.clock()
    assert not WorkAssignment.objects.get(pk=a_task.assignment_id).is_current
    assert [e.to_status for e in a_task.events.all()] == ["assigned", "submitted", "accepted"]
    with pytest.raises(Conflict):
        tasks.reject_task(actor=w.posts.officer, task_id=a.task.pk, reason="晚了")
    taken_back = tasks.reject_task(actor=w.posts.officer, task_id=b.task.pk, reason="社工生病")
    assert taken_back.status == "rejected" and taken_back.reject_reason == "社工生病"
    # the work is free again: it may be given anew
    assert give(w, [WorkRef("case", w.case2.pk)], worker=w.other_worker)[0].ok


# ---- quality ------------------------------------------------------------------------------------

def _campaign(on):
    return SpotCheckCampaign.objects.create(area_id=COUNTY, name="抽查", seed="1", frame_hash="x" * 64, started_on=on)


def _item(campaign, case, n, verdict, on):
    return SpotCheckItem.objects.create(campaign=campaign, key=f"case:{case.pk}", position=n, case=case,
                                        household_id=case.household_id, area_id=case.area_id, town_id=case.area_id[:9],
                                        program="dibao", reason="drawn", verdict=verdict, visited_on=on)


def test_quality_is_the_share_of_correct_verdicts_on_the_contracts_work(world):
    w = world
    assert quality_of([w.contract])[w.contract.pk].met is None          # not yet sampled
    [a, b] = give(w, [WorkRef("case", w.case.pk), WorkRef("case", w.case2.pk)])
    for r in (a, b):
        tasks.submit_task(actor=w.worker_actor, task_id=r.task.pk)
    tasks.accept_tasks(actor=w.posts.officer, task_ids=[a.task.pk, b.task.pk])
    on = w.clock()
    first, second, third = _campaign(on), _campaign(on), _campaign(on)
    _item(first, w.case, 1, "correct", on)
    _item(first, w.case2, 2, "amount_wrong", on)
    _item(second, w.case, 1, "correct", on)
    _item(second, w.case2, 2, "", None)                                  # drawn, not yet re-visited
    _item(third, w.far_case, 1, "should_not_receive", on)                # not the contract's work
    old = _campaign(on - dt.timedelta(days=60))
    _item(old, w.case2, 1, "should_not_receive", on - dt.timedelta(days=60))   # before the task was given
    q = quality_of([w.contract])[w.contract.pk]
    assert (q.sampled, q.correct, q.wrong, q.pending) == (3, 2, 1, 1)
    assert q.accuracy == Decimal("0.6667") and q.met is False
    assert q.as_dict()["target"] == 0.95


def test_the_contract_page_and_api_show_quality(world, client):
    w = world
    [a] = give(w, [WorkRef("case", w.case.pk)])
    tasks.submit_task(actor=w.worker_actor, task_id=a.task.pk)
    _item(_campaign(w.clock()), w.case, 1, "correct", w.clock())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    force_login(client, w.posts.worker)
    page = client.get(reverse("services:contract", args=[w.contract.pk]))
    assert page.status_code == 200 and "100.0 %" in page.content.decode() and "target met" in page.content.decode()
    body = client.get(f"/api/v1/services/contracts/{w.contract.pk}/quality").json()
    assert body["sampled"] == 1 and body["accuracy"] == 1.0 and body["met"] is True


# ---- statements ---------------------------------------------------------------------------------

def test_statements_pay_accepted_tasks_once_and_are_idempotent(world):
    w = world
    officer = w.posts.officer
    month = w.clock().strftime("%Y-%m")
    [a, b] = give(w, [WorkRef("case", w.case.pk), WorkRef("case", w.case2.pk)])
    for r in (a, b):
        tasks.submit_task(actor=w.worker_actor, task_id=r.task.pk)
    tasks.accept_task(actor=officer, task_id=a.task.pk)
    [s] = statements.generate_statements(actor=officer, county_code=COUNTY, month=month)
    assert (s.tasks_accepted, s.amount) == (1, Decimal("80.00"))
    again = statements.generate_statements(actor=officer, county_code=COUNTY, month=month)
    assert [x.pk for x in again] == [s.pk] and ProviderStatement.objects.count() == 1
    assert AuditEvent.objects.filter(action="services.generate_statement").count() == 1
    tasks.accept_task(actor=officer, task_id=b.task.pk)
    [s2] = statements.generate_statements(actor=officer, county_code=COUNTY, month=month)
    assert s2.pk == s.pk and (s2.tasks_accepted, s2.amount) == (2, Decimal("160.00"))
    due = statements.statements_due(COUNTY, month)
    assert [(d.statement_id, d.amount, d.provider_uscc) for d in due] == [(s.pk, Decimal("160.00"), w.provider.uscc)]
    # funding charges it: closed, nothing owed twice
    with pytest.raises(Exception):
        statements.record_charge(actor=w.posts.worker, statement_ids=[s.pk], reference="预算-1")
    statements.record_charge(actor=officer, statement_ids=[s.pk], reference="ZD-YS-2025-07")
    assert statements.statements_due(COUNTY, month) == []
    with pytest.raises(Conflict):
        statements.record_charge(actor=officer, statement_ids=[s.pk], reference="again")
    statements.record_payment(actor=officer, statement_ids=[s.pk], paid_on=w.clock())
    assert ProviderStatement.objects.get(pk=s.pk).payment_status == "paid"
    # a task accepted after the charge goes on the next month's statement, not this one
    [c] = give(w, [WorkRef("lead", w.lead.pk)], kind="discovery")
    tasks.submit_task(actor=w.worker_actor, task_id=c.task.pk)
    tasks.accept_task(actor=officer, task_id=c.task.pk)
    statements.generate_statements(actor=officer, county_code=COUNTY, month=month)
    assert ProviderStatement.objects.get(pk=s.pk).tasks_accepted == 2
    with pytest.raises(ValidationError):
        statements.generate_statements(actor=officer, county_code=COUNTY, month="2030-01")


def test_a_lump_sum_is_paid_in_equal_monthly_shares_adding_up_exactly(world):
    w = world
    c = _draft(w, reference="LS", pricing="lump_sum", unit_price=None, lump_sum="1000.00", starts_on="2025-07-01",
               ends_on="2025-09-30")
    shares = [statements.lump_sum_share(c, D(2025, m, 1)) for m in (7, 8, 9)]
    assert shares == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")] and sum(shares) == Decimal("1000.00")
    assert statements.lump_sum_share(c, D(2025, 10, 1)) == Decimal("0.00")


def test_the_lending_page_lists_towns_and_gives_ticked_work(world, client):
    w = world
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    force_login(client, w.posts.officer)
    town = w.case.area_id[:9]
    page = client.get(reverse("services:lend") + f"?town={town}&contract={w.contract.pk}")
    assert page.status_code == 200 and f"case:{w.case.pk}" in page.content.decode()
    done = client.post(reverse("services:lend"), {"town": town, "work": "case", "contract": w.contract.pk,
                                                 "worker": w.worker.pk, "kind": "survey",
                                                 "items": [f"case:{w.case.pk}"]})
    assert done.status_code == 302
    assert ServiceTask.objects.filter(case=w.case).exists()
    force_login(client, w.worker_actor)
    mine = client.get(reverse("services:my_tasks"))
    assert mine.status_code == 200 and reverse("cases:detail", args=[w.case.pk]) in mine.content.decode()
    task = ServiceTask.objects.get(case=w.case)
    assert client.post(reverse("services:my_tasks"), {"task": task.pk, "note": "完成"}).status_code == 302
    force_login(client, w.posts.officer)
    assert client.post(reverse("services:queue"), {"action": "accept", "tasks": [task.pk]}).status_code == 302
    assert ServiceTask.objects.get(pk=task.pk).status == "accepted"


def test_the_county_pages_open_and_register_through_the_services(world, client):
    w = world
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    force_login(client, w.posts.officer)
    for url in (reverse("services:providers") + "?q=阳光", reverse("services:provider", args=[w.provider.pk]),
                reverse("services:contracts") + "?status=active", reverse("services:contract_new"),
                reverse("services:queue")):
        assert client.get(url).status_code == 200, url
    bad = client.post(reverse("services:providers"), {"name": "新中心", "uscc": "123", "registration_authority": "县民政局",
                                                      "contact_person": "李", "phone": "13800000009"})
    assert bad.status_code == 422 and "18 characters" in bad.content.decode()
    made = client.post(reverse("services:contract_new"), {
        "provider": w.provider.pk, "reference": "ZD-9", "area": COUNTY, "scopes": ["care"], "starts_on": "2025-10-01",
        "ends_on": "2025-12-31", "pricing": "lump_sum", "lump_sum": "3000.00", "quality_target": "0.9"})
    assert made.status_code == 302
