"""Queues and the county's overdue view: scoped, ordered by urgency, counted in the database."""
from __future__ import annotations

import pytest

from safetynet.cases import selectors, services
from safetynet.core.errors import NotFound, PermissionDenied
from tests.conftest import OTHER_TOWN, TOWN
from tests.cases_helpers import D, make_poor_household, walk


def _accepted(posts, household):
    actor = posts.worker if household.area_id.startswith(TOWN) else posts.other_worker
    case = services.apply_for_assistance(actor=actor, program_code="dibao", household_id=household.pk,
                                         applicant_id=household.head_id, channel="walk_in")
    return services.accept_application(actor=actor, case_id=case.pk)


def test_town_queue_sorts_overdue_first_then_due_today(posts, clock, standards, village):
    clock.set(D(2025, 9, 15))
    old = _accepted(posts, make_poor_household(posts.worker, village.code))      # survey due 18 Sep
    clock.set(D(2025, 9, 19))
    today = _accepted(posts, make_poor_household(posts.worker, village.code))    # due 24 Sep
    clock.set(D(2025, 9, 22))
    fresh = _accepted(posts, make_poor_household(posts.worker, village.code))    # due 25 Sep
    clock.set(D(2025, 9, 24))
    queue = selectors.queue_for(posts.worker)
    assert [r.id for r in queue.rows] == [old.pk, today.pk, fresh.pk]
    assert [r.urgency for r in queue.rows] == ["overdue", "due_today", "upcoming"]
    assert (queue.total, queue.overdue, queue.due_today) == (3, 1, 1)
    assert queue.counts_by_action == {"record_survey": 3}
    # The county officer waits for none of these (the town surveys).
    assert selectors.queue_for(posts.officer).total == 0
    # A village cadre does not survey either; an inspector has no queue.
    assert selectors.queue_for(posts.cadre).total == 0
    assert selectors.queue_for(posts.inspector).total == 0


def test_queue_is_scoped_and_follows_the_next_step(posts, clock, standards, village, other_village):
    mine = walk(posts, make_poor_household(posts.worker, village.code), clock, to="surveyed")
    _accepted(posts, make_poor_household(posts.other_worker, other_village.code))
    assert [r.id for r in selectors.queue_for(posts.officer).rows] == [mine.pk]      # verification: the county
    assert selectors.queue_for(posts.worker).total == 0                               # other town's case not shown
    assert selectors.queue_for(posts.other_worker).total == 1
    services.record_manual_verification(actor=posts.verifier, case_id=mine.pk, summary="无异常")
    assert [r.next_action for r in selectors.queue_for(posts.worker).rows] == ["give_town_opinion"]


def test_decisions_wait_for_the_deciding_level(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="notice_closed")
    assert [r.id for r in selectors.queue_for(posts.officer).rows] == [case.pk]
    assert selectors.queue_for(posts.leader).total == 0
    assert selectors.queue_for(posts.worker).total == 0


def test_overdue_by_town_for_the_county(posts, clock, standards, village, other_village):
    clock.set(D(2025, 9, 1))
    _accepted(posts, make_poor_household(posts.worker, village.code))
    _accepted(posts, make_poor_household(posts.worker, village.code))
    _accepted(posts, make_poor_household(posts.other_worker, other_village.code))
    clock.set(D(2025, 9, 10))
    _accepted(posts, make_poor_household(posts.worker, village.code))
    rows = {r.town_code: r for r in selectors.overdue_by_town(posts.officer)}
    assert (rows[TOWN].open, rows[TOWN].overdue) == (3, 2)
    assert (rows[OTHER_TOWN].open, rows[OTHER_TOWN].overdue) == (1, 1)
    assert rows[TOWN].town_name == "正定镇"
    # A town sees only itself.
    assert [r.town_code for r in selectors.overdue_by_town(posts.worker)] == [TOWN]


def test_overdue_by_town_is_one_grouped_query(posts, clock, standards, village, django_assert_num_queries):
    _accepted(posts, make_poor_household(posts.worker, village.code))
    with django_assert_num_queries(2):   # the grouped counts, then the towns' names
        selectors.overdue_by_town(posts.officer)


def test_case_file_and_reads_are_scoped(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock)
    file = selectors.case_file(posts.inspector, case.pk)
    assert [e.action for e in file.events][-1] == "confirm"
    assert len(file.surveys) == 1 and file.surveys[0].investigators.count() == 2
    assert file.allowed_actions == [] and len(file.enrollments) == 1
    assert file.decisions[0].outcome == "approved"
    with pytest.raises(NotFound):
        selectors.get_case(posts.other_worker, case.pk)
    with pytest.raises(PermissionDenied):
        selectors.get_case(posts.grid, case.pk)
    assert selectors.cases_in_scope(posts.other_worker).count() == 0
    assert "reopen" in selectors.case_file(posts.officer, case.pk).allowed_actions


def test_letters_due(posts, clock, standards, village):
    household = make_poor_household(posts.worker, village.code, wages="5000.00")
    case = walk(posts, household, clock, to="town_reviewed")
    decision = services.refuse_case(actor=posts.officer, case_id=case.pk, reasons="收入超标")
    assert list(selectors.letters_due(posts.officer)) == [decision]
    services.record_letter_issued(actor=posts.officer, decision_id=decision.pk)
    assert list(selectors.letters_due(posts.officer)) == []
