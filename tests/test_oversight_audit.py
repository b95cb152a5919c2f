"""The audit viewer (issue 18 part 7): the ledger searched by person, object, action and time in
the post's area, a page at a time by keyset, and the chain's status as `safetynet audit verify`
finds it."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from safetynet.core.audit import record_event
from safetynet.core.errors import PermissionDenied
from safetynet.core.ledger_guard import install_guard, remove_guard
from safetynet.core.models import AuditEvent
from safetynet.oversight import auditlog
from tests.conftest import COUNTY, OTHER_TOWN, TOWN


@pytest.fixture
def ledger(make_actor, county):
    install_guard(connection)      # in case a live-server test lifted it for its flush
    town = make_actor("town_worker", TOWN, username="zhang")
    other = make_actor("town_worker", OTHER_TOWN, username="li")
    for n in range(7):
        record_event(actor=town, action="cases.accept", object_type="cases.case", object_id=n)
    record_event(actor=other, action="cases.accept", object_type="cases.case", object_id=99)
    record_event(actor=town, action="registry.edit", object_type="registry.household", object_id=5)
    return town, other


def test_search_by_person_object_action_and_time_in_scope(make_actor, ledger):
    town, other = ledger
    supervisor = make_actor("supervisor", COUNTY)
    everyone, _ = auditlog.search_ledger(supervisor, auditlog.LedgerFilter(), limit=500)
    assert {e.username for e in everyone} >= {"zhang", "li"}
    deputy = make_actor("inspector", TOWN)
    mine, _ = auditlog.search_ledger(deputy, auditlog.LedgerFilter(), limit=500)
    assert {e.username for e in mine} == {"zhang"}                     # its town's posts only
    by_person, _ = auditlog.search_ledger(supervisor, auditlog.LedgerFilter(username="li"))
    assert [e.object_id for e in by_person] == ["99"]
    by_object, _ = auditlog.search_ledger(supervisor, auditlog.LedgerFilter(object_type="registry.household", object_id="5"))
    assert [e.action for e in by_object] == ["registry.edit"]
    by_action, _ = auditlog.search_ledger(supervisor, auditlog.LedgerFilter(action="registry."))
    assert len(by_action) == 1
    today = dt.date.today()
    assert auditlog.search_ledger(supervisor, auditlog.LedgerFilter(until=today - dt.timedelta(days=2)))[0] == []
    assert len(auditlog.search_ledger(supervisor, auditlog.LedgerFilter(since=today - dt.timedelta(days=1),
                                                                        username="zhang"))[0]) == 8


def test_keyset_pages_walk_the_ledger_newest_first(make_actor, ledger):
    supervisor = make_actor("supervisor", COUNTY)
    wanted = auditlog.LedgerFilter(username="zhang")
    first, cursor = auditlog.search_ledger(supervisor, wanted, limit=3)
    seen = [e.sequence for e in first]
    while cursor:
        page, cursor = auditlog.search_ledger(supervisor, wanted, before=cursor, limit=3)
        seen += [e.sequence for e in page]
    assert seen == sorted(seen, reverse=True) and len(seen) == 8


def test_chain_status_intact_then_broken(make_actor, ledger):
    supervisor = make_actor("supervisor", COUNTY)
    status = auditlog.chain_status(supervisor)
    last = AuditEvent.objects.order_by("-sequence").first().sequence
    assert status.intact and status.last_sequence == last and str(last) in status.message
    target = AuditEvent.objects.filter(username="li").get()
    remove_guard(connection)       # a tamperer with database access (inside the test's transaction)
    AuditEvent.objects.filter(pk=target.pk).update(action="cases.refuse")
    status = auditlog.chain_status(supervisor)
    assert not status.intact and status.break_at == target.sequence and str(target.sequence) in status.message


def test_who_reads_the_ledger(make_actor, ledger, login, api):
    with pytest.raises(PermissionDenied):
        auditlog.search_ledger(make_actor("town_worker", TOWN), auditlog.LedgerFilter())
    supervisor = make_actor("supervisor", COUNTY)
    page = login(supervisor).get("/oversight/audit/?username=zhang")
    assert page.status_code == 200 and "registry.edit" in page.content.decode()
    verified = login(supervisor).get("/oversight/audit/?verify=1")
    assert 'data-intact="1"' in verified.content.decode()
    assert login(make_actor("village_cadre", TOWN + "001")).get("/oversight/audit/").status_code == 403
    body = api(supervisor).get("/api/v1/oversight/audit/events?username=zhang&limit=5").json()
    assert len(body["items"]) == 5 and body["next_before"]
    assert api(supervisor).get("/api/v1/oversight/audit/verify").json()["intact"] is True
