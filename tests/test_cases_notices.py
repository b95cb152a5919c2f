"""A notice whose days are over without an objection closes by itself (issue 15): the daily task
takes the same step as the town's button, with its guard, timeline row and audit event, only in
the actor's area, and leaves a case under objection alone."""
from __future__ import annotations

import copy

import pytest
from django.core.management import call_command

from safetynet.core.errors import PermissionDenied
from tests.cases_helpers import make_poor_household, walk


def _system():
    from safetynet.areas.actors import system_actor

    return system_actor()


def test_a_notice_over_closes_by_itself_as_the_button_would(posts, poor_household, clock, standards):
    from safetynet.cases.models import Case, CaseEvent
    from safetynet.cases.notices import close_ended_notices
    from safetynet.core.models import AuditEvent

    case = walk(posts, poor_household, clock, to="in_notice")
    clock.advance(6)                                   # the last day of the notice: not yet
    assert close_ended_notices(actor=_system()) == []
    assert Case.objects.get(pk=case.pk).status == "in_notice"

    clock.advance(1)
    results = close_ended_notices(actor=_system())
    assert [(r.case_id, r.ok) for r in results] == [(case.pk, True)]
    case.refresh_from_db()
    assert case.status == "notice_closed" and case.notice_closed_on == clock() and case.next_action == "confirm"
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.action, event.from_status, event.to_status, event.actor_username) == \
        ("close_notice", "in_notice", "notice_closed", "system")
    assert AuditEvent.objects.filter(action="cases.close_notice", object_id=str(case.pk), username="system").count() == 1
    assert close_ended_notices(actor=_system()) == []  # a second run finds nothing


def test_only_the_actors_area_and_never_a_case_under_objection(posts, village, other_village, clock, standards):
    from safetynet.cases import services
    from safetynet.cases.models import Case
    from safetynet.cases.notices import close_ended_notices

    ours = walk(posts, make_poor_household(posts.worker, village.code), clock, to="in_notice")
    contested = walk(posts, make_poor_household(posts.worker, village.code), clock, to="in_notice")
    services.record_objection(actor=posts.worker, case_id=contested.pk, content="有异议")
    other_town = copy.copy(posts)
    other_town.worker = posts.other_worker          # the other town's worker takes its town's steps
    theirs = walk(other_town, make_poor_household(posts.other_worker, other_village.code), clock, to="in_notice")
    clock.advance(8)

    results = close_ended_notices(actor=posts.other_worker)
    assert [r.case_id for r in results if r.ok] == [theirs.pk]
    assert Case.objects.get(pk=ours.pk).status == "in_notice"

    assert [r.case_id for r in close_ended_notices(actor=posts.worker) if r.ok] == [ours.pk]
    assert Case.objects.get(pk=contested.pk).status == "contested"


def test_a_post_that_may_not_close_notices_is_refused(posts, poor_household, clock, standards):
    from safetynet.cases.models import Case
    from safetynet.cases.notices import close_ended_notices

    case = walk(posts, poor_household, clock, to="in_notice")
    clock.advance(8)
    with pytest.raises(PermissionDenied):
        close_ended_notices(actor=posts.inspector)
    assert Case.objects.get(pk=case.pk).status == "in_notice"


def test_the_daily_command_closes_them(posts, poor_household, clock, standards):
    import io

    from safetynet.cases.models import Case

    case = walk(posts, poor_household, clock, to="in_notice")
    clock.advance(8)
    out = io.StringIO()
    call_command("close_notices", "--area", case.area_id[:9], stdout=out)
    assert "1" in out.getvalue()
    assert Case.objects.get(pk=case.pk).status == "notice_closed"
