"""What a purchased service's worker (role provider_worker: sees only the work assigned to it by
name) finds: the case lent to it and its household, on the pages and the API; 404 for another
case, re-check, lead and household of the same town (workload/scope.py through core.scoping)."""
from __future__ import annotations

import pytest

from safetynet.workload.assignments import WorkRef, assign
from tests.conftest import COUNTY, TOWN, force_login
from tests.workload_helpers import make_case_to_survey, staff, work  # noqa: F401  (fixture)


@pytest.fixture
def provider(work, make_actor, village, clock):
    """A provider's worker in 正定镇, the case lent to it by the county; a second case of the town
    stays with the town."""
    w = work
    actor = make_actor("provider_worker", TOWN)
    identity = staff(w.posts.officer, "周服务", COUNTY, kind="county_staff", user_id=actor.user_id,
                     employment="provider_worker")
    [lent] = assign(actor=w.posts.officer, items=[WorkRef("case", w.case.pk, identity.pk)], reason="lent")
    assert lent.ok
    w.other_case = make_case_to_survey(w.posts, village, clock)
    w.provider = actor
    return w


def test_the_provider_sees_its_case_and_household_on_the_pages(provider, client):
    w = provider
    force_login(client, w.provider)
    assert client.get(f"/cases/{w.case.pk}/").status_code == 200
    assert client.get(f"/registry/households/{w.case.household_id}/").status_code == 200
    for url in (f"/cases/{w.other_case.pk}/", f"/payments/changes/rechecks/{w.recheck.pk}/",
                f"/discovery/leads/{w.lead.pk}/", f"/registry/households/{w.other_case.household_id}/",
                f"/registry/households/{w.lead.household_id}/"):
        assert client.get(url).status_code == 404, url


def test_the_provider_sees_its_case_and_household_on_the_api(provider, api):
    w = provider
    client = api(w.provider)
    answer = client.get(f"/api/v1/cases/{w.case.pk}")
    assert answer.status_code == 200 and answer.json()["id"] == w.case.pk
    assert client.get(f"/api/v1/households/{w.case.household_id}").status_code == 200
    for url in (f"/api/v1/cases/{w.other_case.pk}", f"/api/v1/changes/rechecks/{w.recheck.pk}",
                f"/api/v1/discovery/leads/{w.lead.pk}", f"/api/v1/households/{w.other_case.household_id}"):
        assert client.get(url).status_code == 404, url
    # The case list names the lent case alone.
    listed = client.get("/api/v1/cases").json()
    assert [c["id"] for c in listed["items"]] == [w.case.pk]


def test_once_taken_back_the_provider_sees_nothing(provider, api):
    w = provider
    from safetynet.workload.assignments import reassign

    [back] = reassign(actor=w.posts.officer, items=[WorkRef("case", w.case.pk, w.wang.pk)], note="收回")
    assert back.ok
    client = api(w.provider)
    assert client.get(f"/api/v1/cases/{w.case.pk}").status_code == 404
    assert client.get(f"/api/v1/households/{w.case.household_id}").status_code == 404
