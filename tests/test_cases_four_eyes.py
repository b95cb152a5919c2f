"""Four eyes on every confirmation (issue 15, item 14): whoever signed a case's verification
report or gave its town opinion does not also confirm it. One guard in the transition table
(`workflow._four_eyes`), so the service, the page, the API and the batch all refuse alike; a
county may turn the rule off (`four_eyes_confirmation`, programs/catalogue.py)."""
from __future__ import annotations

import pytest

from safetynet.cases import batch, services, workflow
from safetynet.cases.models import Case
from safetynet.core.errors import PermissionDenied
from safetynet.programs.services import set_parameter
from tests.cases_helpers import D, walk


def _set(system, county, key, value):
    set_parameter(actor=system, program_code="dibao", key=key, area_code=county.code, value=value,
                  effective_from=D(2025, 9, 1), reason="test")


@pytest.fixture
def own_case(posts, poor_household, clock, standards):
    """The officer signs the verification report himself, then tries to confirm."""
    case = walk(posts, poor_household, clock, to="surveyed")
    services.record_manual_verification(actor=posts.officer, case_id=case.pk, summary="无异常")
    services.give_town_opinion(actor=posts.worker, case_id=case.pk, opinion="符合条件")
    services.publish_notice(actor=posts.worker, case_id=case.pk)
    clock.advance(7)
    services.close_notice(actor=posts.worker, case_id=case.pk)
    return Case.objects.get(pk=case.pk)


def test_who_signed_the_verification_may_not_confirm(own_case, posts):
    with pytest.raises(PermissionDenied) as denied:
        services.confirm_case(actor=posts.officer, case_id=own_case.pk)
    assert denied.value.code == "four_eyes"
    assert "signed its verification report" in denied.value.message and "another officer" in denied.value.message
    case = Case.objects.get(pk=own_case.pk)
    assert (case.status, case.version) == ("notice_closed", own_case.version)
    assert "confirm" not in workflow.allowed_actions(case, posts.officer)
    # another officer of the same county may
    assert "confirm" in workflow.allowed_actions(case, posts.county_leader)
    services.confirm_case(actor=posts.county_leader, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == "confirmed"


def test_the_page_the_api_and_the_batch_refuse_alike(own_case, posts, login):
    from django.urls import reverse

    client = login(posts.officer)
    page = client.get(reverse("cases:detail", args=[own_case.pk])).content.decode()
    assert 'data-action="confirm"' not in page
    response = client.post(reverse("cases:act", args=[own_case.pk, "confirm"]),
                           {"confirm-version": own_case.version, "confirm-note": ""})
    assert response.status_code == 403
    response = client.post(f"/api/v1/cases/{own_case.pk}/confirm", {}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "four_eyes"
    [result] = batch.take_steps(actor=posts.officer, action="confirm", items=[{"case": own_case.pk}])
    assert not result.ok and result.error["code"] == "four_eyes"
    assert Case.objects.get(pk=own_case.pk).status == "notice_closed"


def test_who_gave_the_town_opinion_may_not_confirm_where_towns_confirm(posts, poor_household, clock, standards,
                                                                      system, county):
    _set(system, county, "confirmation_delegated", True)
    case = walk(posts, poor_household, clock, to="verified")
    services.give_town_opinion(actor=posts.leader, case_id=case.pk, opinion="符合条件")
    services.publish_notice(actor=posts.worker, case_id=case.pk)
    clock.advance(7)
    services.close_notice(actor=posts.worker, case_id=case.pk)
    with pytest.raises(PermissionDenied, match="gave its town opinion"):
        services.confirm_case(actor=posts.leader, case_id=case.pk)
    services.confirm_case(actor=posts.officer, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == "confirmed"


def test_a_county_may_turn_the_rule_off(own_case, posts, system, county):
    _set(system, county, "four_eyes_confirmation", False)
    services.confirm_case(actor=posts.officer, case_id=own_case.pk)
    assert Case.objects.get(pk=own_case.pk).status == "confirmed"


def test_a_reopened_case_is_judged_on_its_new_review(own_case, posts, poor_household, clock):
    """After a reopening the earlier verification no longer binds: who signed the new one counts."""
    services.confirm_case(actor=posts.county_leader, case_id=own_case.pk)
    services.reopen_case(actor=posts.officer, case_id=own_case.pk, reason="群众投诉")
    case = Case.objects.get(pk=own_case.pk)
    assert workflow.reviewers_of([case.pk])[case.pk] == {}
