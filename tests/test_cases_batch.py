"""One step for many cases (cases/batch.py): each case through its own service, so a batch is
checked case by case exactly as the case page is; one case refused leaves the others done and
says why; the whole batch is refused, untouched, for a role without the step or a bad list. The
queue page offers it for the rows at that step, and the API answers per case."""
from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse

from safetynet.cases import batch, statements
from safetynet.cases.models import Case, CaseEvent
from safetynet.core.errors import PermissionDenied, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.enrollments.models import Enrollment
from tests.cases_helpers import make_poor_household, walk


def _in_notice(posts, village, clock, n: int) -> list[Case]:
    """`n` cases of the village in their notice, posted the same day."""
    return [walk(posts, make_poor_household(posts.worker, village.code), clock, to="in_notice") for _ in range(n)]


def _elsewhere(posts, other_village) -> Case:
    """A case of the other town, filed by its own worker."""
    from safetynet.cases import services

    household = make_poor_household(posts.other_worker, other_village.code)
    return services.apply_for_assistance(actor=posts.other_worker, program_code="dibao", household_id=household.pk,
                                         applicant_id=household.head_id, channel="walk_in")


def _status(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status




# --- the service ----------------------------------------------------------------------------

def test_town_closes_a_villages_notices_at_once(posts, village, clock, standards):
    cases = _in_notice(posts, village, clock, 3)
    clock.advance(8)
    events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()
    results = batch.take_step_for_cases(actor=posts.worker, action="close_notice", case_ids=[c.pk for c in cases])
    assert [(r.case_id, r.ok, r.status) for r in results] == [(c.pk, True, "notice_closed") for c in cases]
    assert {_status(c) for c in cases} == {"notice_closed"}
    # each case its own step: its timeline row and its audit event
    assert CaseEvent.objects.count() == events + 3
    assert AuditEvent.objects.filter(action="cases.close_notice").count() == 3 and AuditEvent.objects.count() == audits + 3


def test_one_case_refused_leaves_the_others_done_and_says_why(posts, village, other_village, clock, standards):
    ready, early, stale = _in_notice(posts, village, clock, 3)
    not_yet = walk(posts, make_poor_household(posts.worker, village.code), clock, to="town_reviewed")
    elsewhere = _elsewhere(posts, other_village)
    clock.advance(8)
    results = batch.take_step_for_cases(
        actor=posts.worker, action="close_notice",
        case_ids=[ready.pk, not_yet.pk, elsewhere.pk, stale.pk, str(ready.pk)],   # a repeat is taken once
        versions={stale.pk: stale.version - 1})
    by_case = {r.case_id: r for r in results}
    assert len(results) == 4
    assert by_case[ready.pk].ok and by_case[ready.pk].status == "notice_closed"
    assert by_case[not_yet.pk].error["code"] == "transition_not_allowed"
    assert by_case[elsewhere.pk].error["code"] == "not_found"         # another town's case does not exist here
    assert by_case[stale.pk].error["code"] == "stale_case"
    assert (_status(not_yet), _status(elsewhere), _status(stale)) == ("town_reviewed", "applied", "in_notice")
    assert _status(early) == "in_notice"                                   # not in the batch, untouched


def test_guards_hold_in_a_batch(posts, village, clock, standards):
    """The notice runs its full days whether closed one by one or many at once."""
    cases = _in_notice(posts, village, clock, 2)
    clock.advance(3)
    results = batch.take_step_for_cases(actor=posts.worker, action="close_notice", case_ids=[c.pk for c in cases])
    assert not any(r.ok for r in results)
    assert all("runs until" in r.error["message"] for r in results)
    assert {_status(c) for c in cases} == {"in_notice"}


def test_county_confirms_a_list(posts, village, clock, standards):
    cases = _in_notice(posts, village, clock, 2)
    clock.advance(8)
    batch.take_step_for_cases(actor=posts.worker, action="close_notice", case_ids=[c.pk for c in cases])
    results = batch.take_step_for_cases(actor=posts.officer, action="confirm", case_ids=[c.pk for c in cases])
    assert [r.status for r in results] == ["confirmed", "confirmed"]
    assert Enrollment.objects.filter(case__in=cases, status="active").count() == 2
    # confirming again: each refused, no second enrollment
    again = batch.take_step_for_cases(actor=posts.officer, action="confirm", case_ids=[c.pk for c in cases])
    assert not any(r.ok for r in again)
    assert Enrollment.objects.filter(case__in=cases).count() == 2


@pytest.mark.parametrize("who, action", [("officer", "close_notice"), ("worker", "confirm"), ("inspector", "close_notice"),
                                         ("inspector", "confirm")])
def test_a_role_without_the_step_is_refused_before_any_case_is_touched(posts, village, clock, standards, who, action):
    cases = _in_notice(posts, village, clock, 2)
    clock.advance(8)
    if action == "confirm":
        batch.take_step_for_cases(actor=posts.worker, action="close_notice", case_ids=[c.pk for c in cases])
    before = [_status(c) for c in cases]
    events = CaseEvent.objects.count()
    with pytest.raises(PermissionDenied):
        batch.take_step_for_cases(actor=getattr(posts, who), action=action, case_ids=[c.pk for c in cases])
    assert [_status(c) for c in cases] == before and CaseEvent.objects.count() == events


@pytest.mark.parametrize("action, case_ids, field", [
    ("accept", [1], "action"),                   # a step that needs its own input is taken case by case
    ("close_notice", [], "cases"),
    ("close_notice", ["12a"], "cases"),
    ("close_notice", list(range(1, batch.MAX_BATCH + 2)), "cases"),
])
def test_bad_batches_say_which_field(posts, action, case_ids, field):
    with pytest.raises(ValidationError) as caught:
        batch.take_step_for_cases(actor=posts.worker, action=action, case_ids=case_ids)
    assert caught.value.field == field


# --- the queue page -------------------------------------------------------------------------

def test_queue_offers_the_batch_for_rows_at_that_step_and_shows_each_result(login, posts, village, clock, standards):
    first, second = _in_notice(posts, village, clock, 2)
    waiting = walk(posts, make_poor_household(posts.worker, village.code), clock, to="applied")
    clock.advance(8)
    client = login(posts.worker)
    html = client.get(reverse("cases:queue")).content.decode()
    assert 'data-testid="batch-close_notice"' in html and 'data-testid="batch-confirm"' not in html
    assert f'id="pick-{first.pk}"' in html and f'id="pick-{second.pk}"' in html
    assert f'id="pick-{waiting.pk}"' not in html                 # its next step (accept) needs its own form
    response = client.post(reverse("cases:batch"), {
        "action": "close_notice", "case": [first.pk, second.pk],
        f"version_{first.pk}": first.version, f"version_{second.pk}": second.version - 1})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="batch-done">1<' in page and 'data-testid="batch-refused">1<' in page
    assert "Someone else changed this case" in page
    assert (_status(first), _status(second)) == ("notice_closed", "in_notice")


def test_queue_batch_without_cases_goes_back_with_the_reason(login, posts, clock, standards):
    response = login(posts.worker).post(reverse("cases:batch"), {"action": "close_notice"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert "Select at least one case." in response.content.decode()


def test_queue_batch_with_a_bad_version_touches_nothing(login, posts, village, clock, standards):
    case, = _in_notice(posts, village, clock, 1)
    clock.advance(8)
    response = login(posts.worker).post(reverse("cases:batch"), {"action": "close_notice", "case": [case.pk],
                                                                 f"version_{case.pk}": "5x"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert "bad version" in response.content.decode()
    assert _status(case) == "in_notice"


def test_queue_batch_that_another_desk_overtook_goes_back_with_the_reason(login, posts, village, clock, standards,
                                                                           monkeypatch):
    """The database refused the batch at its commit (another desk saved one of its cases at the
    same moment): nothing was saved, and the queue says so."""
    case, = _in_notice(posts, village, clock, 1)
    clock.advance(8)

    def overtaken(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")
    monkeypatch.setattr(statements, "load_cases", overtaken)
    response = login(posts.worker).post(reverse("cases:batch"), {"action": "close_notice", "case": [case.pk]},
                                        follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert "nothing was saved" in response.content.decode()
    assert _status(case) == "in_notice"


def test_queue_batch_refused_to_a_role_without_the_step(login, posts, village, clock, standards):
    case, = _in_notice(posts, village, clock, 1)
    clock.advance(8)
    response = login(posts.officer).post(reverse("cases:batch"), {"action": "close_notice", "case": [case.pk]})
    assert response.status_code == 403
    assert _status(case) == "in_notice"
    assert 'data-testid="batch-form"' not in login(posts.inspector).get(reverse("cases:queue")).content.decode()


# --- the API --------------------------------------------------------------------------------

def test_api_batch_answers_per_case(login, posts, village, other_village, clock, standards):
    ready, = _in_notice(posts, village, clock, 1)
    elsewhere = _elsewhere(posts, other_village)
    clock.advance(8)
    client = login(posts.worker)
    response = client.post("/api/v1/cases/batch", {"action": "close_notice", "cases": [
        {"id": ready.pk, "version": ready.version}, {"id": elsewhere.pk}]}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert (body["done"], body["refused"]) == (1, 1)
    assert body["results"][0] == {"case": ready.pk, "ok": True, "status": "notice_closed", "error": None}
    assert body["results"][1]["error"]["code"] == "not_found"
    # the whole batch refused: a step not offered in batches, a role without the step
    assert client.post("/api/v1/cases/batch", {"action": "accept", "cases": [{"id": ready.pk}]},
                       content_type="application/json").status_code == 422
    assert client.post("/api/v1/cases/batch", {"action": "confirm", "cases": [{"id": ready.pk}]},
                       content_type="application/json").status_code == 403
    assert client.post("/api/v1/cases/batch", {"action": "close_notice", "cases": []},
                       content_type="application/json").status_code == 422


def test_queue_lists_the_cases_at_one_step_for_a_batch(login, posts, village, clock, standards):
    """A village's notices to close, all together: the queue filtered by next step, with the
    count of every step offered, and the batch button for those rows."""
    in_notice = _in_notice(posts, village, clock, 2)
    applied = walk(posts, make_poor_household(posts.worker, village.code), clock, to="applied")
    client = login(posts.worker)
    response = client.get(reverse("cases:queue"), {"step": "close_notice"})
    rows = [r["row"].id for s in response.context["sections"] for r in s.rows]
    assert sorted(rows) == sorted(c.pk for c in in_notice)
    assert response.context["queue"].total == 2
    steps = {code: n for code, _label, n in response.context["steps"]}
    assert steps == {"close_notice": 2, "accept": 1}                 # every step, not only the one shown
    html = response.content.decode()
    assert '<option value="close_notice" selected>' in html and 'data-testid="batch-close_notice"' in html
    assert f'id="pick-{applied.pk}"' not in html
    # paging keeps the step; an unknown step is ignored
    assert response.context["query_string"] == "step=close_notice"
    assert client.get(reverse("cases:queue"), {"step": "nonsense"}).context["queue"].total == 3
    # changed in place by htmx: the queue and, out of band, the step list with its counts
    partial = client.get(reverse("cases:queue"), {"step": "accept"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue")
    body = partial.content.decode()
    assert 'hx-swap-oob="true"' in body and '<option value="accept" selected>' in body and "<html" not in body
