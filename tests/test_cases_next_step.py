"""Every case page says what happens next and which post does it, and no case waits on a step
nobody sees (issue 15, item 7). "Who" is read from the transition table
(`workflow.acting_roles`); the queues select by their own query (`selectors.queue_filter`), so
this test walks a dibao case to every open status of its path and checks that the two agree:
each post the page names finds the case in its queue."""
from __future__ import annotations

import pytest
from django.urls import reverse

from safetynet.areas.roles import role_label
from safetynet.cases import selectors, services, workflow
from safetynet.cases.models import CLOSED_STATUSES, Case
from safetynet.programs.services import set_parameter
from tests.cases_helpers import D, investigators, make_poor_household, walk


def _survey(posts, case, clock):
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="复查", signed_by_household=True)


def _objection(posts, case, clock, *, resolved=False, answered=False):
    walk_case = walk(posts, case, clock, to="in_notice")
    services.record_objection(actor=posts.cadre, case_id=walk_case.pk, content="有经营收入")
    if resolved:
        _survey(posts, walk_case, clock)
    if answered:
        services.answer_objection(actor=posts.worker, case_id=walk_case.pk, finding="not_upheld", answer="不成立")
    return walk_case


def _set(system, county, key, value):
    set_parameter(actor=system, program_code="dibao", key=key, area_code=county.code, value=value,
                  effective_from=D(2025, 9, 1), reason="test")


# Each builder takes (posts, household, clock, system, county) and leaves a dibao case at a status.
BUILDERS = {
    "applied": lambda p, h, c, s, k: walk(p, h, c, to="applied"),
    "accepted": lambda p, h, c, s, k: walk(p, h, c, to="accepted"),
    "returned_for_supplement": lambda p, h, c, s, k: services.request_materials(
        actor=p.worker, case_id=walk(p, h, c, to="accepted").pk, items=["户口簿复印件"]),
    "surveyed": lambda p, h, c, s, k: walk(p, h, c, to="surveyed"),
    "verified": lambda p, h, c, s, k: walk(p, h, c, to="verified"),
    "verified, deliberation required": lambda p, h, c, s, k: (_set(s, k, "mandatory_deliberation", True),
                                                             walk(p, h, c, to="verified"))[1],
    "deliberated": lambda p, h, c, s, k: (_set(s, k, "mandatory_deliberation", True), services.hold_deliberation(
        actor=p.worker, case_id=walk(p, h, c, to="verified").pk, held_on=c(), participants=6,
        village_representatives=5, opinion="同意"))[1].case,
    "town_reviewed": lambda p, h, c, s, k: walk(p, h, c, to="town_reviewed"),
    "town_reviewed, not eligible": lambda p, h, c, s, k: walk(
        p, make_poor_household(p.worker, h.area_id, wages="5000.00"), c, to="town_reviewed"),
    "in_notice": lambda p, h, c, s, k: walk(p, h, c, to="in_notice"),
    "contested": lambda p, h, c, s, k: _objection(p, h, c),
    "objection_resolved": lambda p, h, c, s, k: _objection(p, h, c, resolved=True),
    "objection_resolved, answered": lambda p, h, c, s, k: _objection(p, h, c, resolved=True, answered=True),
    "notice_closed": lambda p, h, c, s, k: walk(p, h, c, to="notice_closed"),
    "notice_closed, delegated to the town": lambda p, h, c, s, k: (_set(s, k, "confirmation_delegated", True),
                                                                  walk(p, h, c, to="notice_closed"))[1],
    "reopened": lambda p, h, c, s, k: services.reopen_case(actor=p.officer, case_id=walk(p, h, c).pk, reason="投诉"),
}


def _lone_elder(posts, household):
    from safetynet.registry.services import create_household
    from tests.cases_helpers import new_id

    return create_household(actor=posts.worker, area_code=household.area_id, address="五保户", registration_type="urban",
                            members=[{"name": "孙五保", "id_number": new_id(D(1950, 5, 5)), "relation_to_head": "head",
                                      "work_ability": "none"}])


def _temporary(posts, household, kind, amount, clock, to="applied"):
    return walk(posts, household, clock, to=to, program="temporary", kind=kind, requested_amount=amount, reason="火灾")


# The other paths: special hardship with the county's spot check, and temporary assistance.
OTHER_PATHS = {
    "notice_closed, special hardship drawn for the spot check": lambda p, h, c, s, k: (
        set_parameter(actor=s, program_code="special_hardship", key="spot_check_ratio", area_code=k.code, value="1",
                      effective_from=D(2025, 9, 1), reason="test"),
        walk(p, _lone_elder(p, h), c, to="notice_closed", program="special_hardship"))[1],
    "applied, emergency": lambda p, h, c, s, k: _temporary(p, h, "emergency", "2000", c),
    "paid_first, emergency": lambda p, h, c, s, k: services.pay_emergency_aid_first(
        actor=p.worker, case_id=_temporary(p, h, "emergency", "2000", c).pk).case,
    "applied, quick aid": lambda p, h, c, s, k: _temporary(p, h, "quick", "500", c),
    "town_reviewed, ordinary aid the town approves": lambda p, h, c, s, k: _temporary(p, h, "ordinary", "2000", c,
                                                                                     "town_reviewed"),
    "town_reviewed, ordinary aid the county approves": lambda p, h, c, s, k: _temporary(p, h, "ordinary", "6000", c,
                                                                                       "town_reviewed"),
    "town_reviewed, ordinary aid the county leader approves": lambda p, h, c, s, k: _temporary(
        p, h, "ordinary", "20000", c, "town_reviewed"),
}


def _post_for(posts, role: str):
    return {"village_cadre": posts.cadre, "town_worker": posts.worker, "town_leader": posts.leader,
            "county_officer": posts.officer, "county_leader": posts.county_leader}[role]


def _in_queue(actor, case_id: int) -> bool:
    return selectors.queue_for(actor, page_size=200).total and any(
        row.id == case_id for row in selectors.queue_for(actor, page_size=200).rows)


def test_the_builders_cover_every_open_status_of_the_dibao_path():
    sources = {row.source for row in workflow.TRANSITIONS.values() if workflow.DIBAO in row.paths}
    covered = {name.split(",")[0] for name in BUILDERS}
    assert sources - CLOSED_STATUSES <= covered


@pytest.mark.parametrize("state", list(BUILDERS) + list(OTHER_PATHS))
def test_the_page_names_the_next_step_and_its_post_and_that_post_sees_the_case(
        state, posts, poor_household, clock, standards, system, county, login):
    case = Case.objects.get(pk={**BUILDERS, **OTHER_PATHS}[state](posts, poor_household, clock, system, county).pk)
    assert case.status == state.split(",")[0] and case.is_open
    levels = {"town approves": "town", "county approves": "county", "county leader approves": "county_leader"}
    assert case.approving_level == next((v for k, v in levels.items() if k in state), case.approving_level)
    steps = workflow.next_steps(case)
    assert steps and steps[0] == case.next_action
    for index, action in enumerate(steps):
        roles = workflow.acting_roles(case, action)
        assert roles, f"nobody takes {action} at {state}"
        seen = [role for role, _level in roles if _in_queue(_post_for(posts, role), case.pk)]
        if index == 0:
            assert seen == [role for role, _level in roles], f"{action} at {state}: not in the queue of {roles}"
        else:
            assert seen, f"{action} at {state}: in nobody's queue"
    # the page says it, to a post that cannot take the step as well
    onlooker = posts.inspector
    html = login(onlooker).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'data-testid="next-step-posts" data-step="{case.next_action}"' in html
    for role, _level in workflow.acting_roles(case, case.next_action):
        assert str(role_label(role)) in html


def test_the_page_says_it_in_chinese(posts, poor_household, clock, standards, client):
    from django.contrib.auth import get_user_model

    case = walk(posts, poor_household, clock, to="surveyed")
    client.force_login(get_user_model().objects.get(pk=posts.worker.user_id))
    html = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "下一步" in html and "县级民政经办人员（正定县）" in html
