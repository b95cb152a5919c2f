"""A provider's worker sees exactly the work assigned to it, and nothing once it is accepted
(issue 19 part 4, "Bad input": a provider worker opening a case not assigned to them is 404); every
write is refused to the wrong role (403) and outside the area (404)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from safetynet.areas.models import Area
from safetynet.core.errors import NotFound, PermissionDenied
from safetynet.services import contracts, providers, statements, tasks
from safetynet.services.tasks import WorkRef
from tests.conftest import COUNTY, force_login
from tests.services_helpers import give, valid_uscc, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def _case_urls(case_id):
    return reverse("cases:detail", args=[case_id]), f"/api/v1/cases/{case_id}"


def test_provider_worker_sees_only_the_case_assigned_to_it(world, client):
    w = world
    [result] = give(w, [WorkRef("case", w.case.pk)])
    assert result.ok, result.error
    force_login(client, w.worker_actor)
    page, api = _case_urls(w.case.pk)
    assert client.get(page).status_code == 200
    assert client.get(api).status_code == 200
    # the household it visits opens; another household does not
    assert client.get(reverse("registry:household_detail", args=[w.case.household_id])).status_code == 200
    assert client.get(reverse("registry:household_detail", args=[w.case2.household_id])).status_code == 404
    # another case in the same town, and one in another town: 404, page and API
    for other in (w.case2, w.far_case):
        page, api = _case_urls(other.pk)
        assert client.get(page).status_code == 404
        assert client.get(api).status_code == 404
    # a re-check and a lead not assigned to it
    assert client.get(reverse("changes:recheck", args=[w.recheck.pk])).status_code == 404
    assert client.get(f"/api/v1/changes/rechecks/{w.recheck.pk}").status_code == 404
    assert client.get(reverse("discovery:lead", args=[w.lead.pk])).status_code == 404
    assert client.get(f"/api/v1/discovery/leads/{w.lead.pk}").status_code == 404


def test_the_other_worker_of_the_same_provider_does_not_see_it(world, client):
    w = world
    give(w, [WorkRef("case", w.case.pk)])
    force_login(client, w.other_worker_actor)
    page, api = _case_urls(w.case.pk)
    assert client.get(page).status_code == 404
    assert client.get(api).status_code == 404


def test_a_lent_lead_and_recheck_open_to_the_worker(world, client):
    w = world
    assert give(w, [WorkRef("lead", w.lead.pk)], kind="discovery")[0].ok
    assert give(w, [WorkRef("recheck", w.recheck.pk)])[0].ok
    force_login(client, w.worker_actor)
    assert client.get(reverse("discovery:lead", args=[w.lead.pk])).status_code == 200
    assert client.get(f"/api/v1/discovery/leads/{w.lead.pk}").status_code == 200
    assert client.get(reverse("changes:recheck", args=[w.recheck.pk])).status_code == 200
    assert client.get(f"/api/v1/changes/rechecks/{w.recheck.pk}").status_code == 200


def test_once_accepted_the_case_is_closed_to_the_worker_again(world, client):
    w = world
    [r] = give(w, [WorkRef("case", w.case.pk)])
    tasks.submit_task(actor=w.worker_actor, task_id=r.task.pk, note="入户调查已完成")
    tasks.accept_task(actor=w.posts.officer, task_id=r.task.pk)
    force_login(client, w.worker_actor)
    page, api = _case_urls(w.case.pk)
    assert client.get(page).status_code == 404
    assert client.get(api).status_code == 404
    assert client.get(reverse("registry:household_detail", args=[w.case.household_id])).status_code == 404


def test_once_rejected_the_case_is_closed_too(world, client):
    w = world
    [r] = give(w, [WorkRef("case", w.case.pk)])
    tasks.reject_task(actor=w.posts.officer, task_id=r.task.pk, reason="未按时完成")
    force_login(client, w.worker_actor)
    assert client.get(_case_urls(w.case.pk)[0]).status_code == 404


# ---- writes: the wrong role is 403, outside the area 404 ------------------------------------------

def _other_county_officer(make_actor):
    Area.objects.get_or_create(code="130102", defaults={"name": "长安区", "level": "county", "parent_id": "1301"})
    return make_actor("county_officer", "130102")


def test_every_write_is_refused_to_a_town_post(world):
    w = world
    town = w.posts.worker
    with pytest.raises(PermissionDenied):
        providers.register_provider(actor=town, county_code=COUNTY, name="x", uscc=valid_uscc(), registration_authority="y",
                                    contact_person="z", phone="13800000000")
    with pytest.raises(PermissionDenied):
        contracts.draw_up_contract(actor=town, provider_id=w.provider.pk, reference="X", area_code=COUNTY,
                                   scopes=["survey"], starts_on="2025-01-01", ends_on="2025-12-31", pricing="per_task",
                                   unit_price="1.00")
    with pytest.raises(PermissionDenied):
        contracts.end_contract(actor=town, contract_id=w.contract.pk)
    with pytest.raises(PermissionDenied):
        give(w, [WorkRef("case", w.case.pk)], actor=town)
    [r] = give(w, [WorkRef("case", w.case.pk)])
    tasks.submit_task(actor=w.worker_actor, task_id=r.task.pk)
    with pytest.raises(PermissionDenied):
        tasks.accept_task(actor=town, task_id=r.task.pk)
    with pytest.raises(PermissionDenied):
        tasks.reject_task(actor=town, task_id=r.task.pk, reason="不行")
    with pytest.raises(PermissionDenied):
        statements.generate_statements(actor=town, county_code=COUNTY, month="2025-09")
    with pytest.raises(PermissionDenied):       # a provider's worker decides nothing either
        tasks.accept_task(actor=w.worker_actor, task_id=r.task.pk)


def test_every_write_is_not_found_for_another_county(world, make_actor):
    w = world
    far = _other_county_officer(make_actor)
    with pytest.raises(NotFound):
        providers.register_provider_worker(actor=far, provider_id=w.provider.pk, staff_identity_id=1)
    with pytest.raises(NotFound):
        contracts.sign_contract(actor=far, contract_id=w.contract.pk)
    with pytest.raises(NotFound):
        contracts.end_contract(actor=far, contract_id=w.contract.pk)
    with pytest.raises(NotFound):
        give(w, [WorkRef("case", w.case.pk)], actor=far)
    [r] = give(w, [WorkRef("case", w.case.pk)])
    tasks.submit_task(actor=w.worker_actor, task_id=r.task.pk)
    with pytest.raises(NotFound):
        tasks.accept_task(actor=far, task_id=r.task.pk)
    with pytest.raises(NotFound):
        tasks.reject_task(actor=far, task_id=r.task.pk, reason="不行")
    with pytest.raises(NotFound):
        statements.generate_statements(actor=far, county_code=COUNTY, month="2025-09")


def test_a_worker_cannot_submit_another_workers_task(world):
    w = world
    [r] = give(w, [WorkRef("case", w.case.pk)])
    with pytest.raises(NotFound):
        tasks.submit_task(actor=w.other_worker_actor, task_id=r.task.pk)
    with pytest.raises(NotFound):
        tasks.submit_task(actor=w.posts.officer, task_id=r.task.pk)


def test_pages_and_api_answer_403_and_404(world, client, make_actor):
    w = world
    [r] = give(w, [WorkRef("case", w.case.pk)])
    force_login(client, w.posts.worker)      # a town post: reads, writes nothing
    assert client.get(reverse("services:contract", args=[w.contract.pk])).status_code == 200
    assert client.post(reverse("services:contract", args=[w.contract.pk]), {"action": "sign"}).status_code == 403
    assert client.get(reverse("services:queue")).status_code == 403
    assert client.post("/api/v1/services/tasks/accept", {"tasks": [r.task.pk]},
                       content_type="application/json").status_code == 403
    assert client.post(f"/api/v1/services/tasks/{r.task.pk}/submit", {}, content_type="application/json").status_code == 404
    force_login(client, w.posts.inspector)   # reads, and may work no kind of work
    assert client.post(f"/api/v1/services/tasks/{r.task.pk}/submit", {}, content_type="application/json").status_code == 403
    assert client.post(reverse("services:my_tasks"), {"task": r.task.pk}).status_code == 403
    force_login(client, _other_county_officer(make_actor))
    assert client.get(reverse("services:contract", args=[w.contract.pk])).status_code == 404
    assert client.get(f"/api/v1/services/contracts/{w.contract.pk}").status_code == 404
    assert client.get(f"/api/v1/services/tasks/{r.task.pk}").status_code == 404
    assert client.post(f"/api/v1/services/tasks/{r.task.pk}/reject", {"reason": "x"},
                       content_type="application/json").status_code == 404
    force_login(client, w.other_worker_actor)
    assert client.post(f"/api/v1/services/tasks/{r.task.pk}/submit", {}, content_type="application/json").status_code == 404

