"""The audit ledger: hash-chained, append-only, and `audit verify` names the first broken link."""
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from safetynet.core.audit import record_event, verify_chain
from safetynet.core.ledger_guard import install_guard, remove_guard
from safetynet.core.models import AuditEvent


def _drop_triggers():
    """Simulate a tamperer with database access: remove the append-only guard first
    (inside the test's transaction, so it comes back when the test ends)."""
    remove_guard(connection)


@pytest.fixture
def chain(db, system):
    install_guard(connection)  # in case a live-server test lifted it for its flush
    return [record_event(actor=system, action="test.write", object_type="x", object_id=i, after={"n": i, "amount": "12.30"}) for i in range(1, 6)]


def test_events_chain_to_their_predecessor(chain):
    assert chain[0].previous_hash == "0" * 64
    for before, after in zip(chain, chain[1:]):
        assert after.previous_hash == before.hash
        assert after.sequence == before.sequence + 1
    assert verify_chain() is None


def test_update_and_delete_are_refused_by_the_database(chain):
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=chain[2].pk).update(action="tampered")
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=chain[2].pk).delete()


def test_verify_names_the_first_edited_row(chain, capsys):
    _drop_triggers()
    AuditEvent.objects.filter(pk=chain[2].pk).update(after={"n": 3, "amount": "99999.00"})
    AuditEvent.objects.filter(pk=chain[3].pk).update(action="tampered too")
    broken = verify_chain()
    assert broken is not None and broken.sequence == chain[2].sequence
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert f"#{chain[2].sequence}" in capsys.readouterr().out


def test_verify_detects_a_deleted_row(chain):
    _drop_triggers()
    AuditEvent.objects.filter(pk=chain[1].pk).delete()
    broken = verify_chain()
    assert broken is not None and broken.sequence == chain[1].sequence


def test_verify_detects_a_rehashed_row_at_its_successor(chain):
    """An attacker who edits a row and recomputes its hash still breaks the next link."""
    from safetynet.core.audit import compute_hash

    _drop_triggers()
    event = AuditEvent.objects.get(pk=chain[2].pk)
    event.after = {"n": 3, "amount": "1.00"}
    fields = {f: getattr(event, f) for f in ("sequence", "at", "username", "post_id", "role", "area_code", "action",
                                              "object_type", "object_id", "before", "after", "previous_hash")}
    AuditEvent.objects.filter(pk=event.pk).update(after=event.after, hash=compute_hash(**fields))
    broken = verify_chain()
    assert broken is not None and broken.sequence == chain[3].sequence


def test_verify_command_reports_an_intact_chain(chain, capsys):
    call_command("audit", "verify")
    assert "intact: 5 events" in capsys.readouterr().out


def test_event_data_is_stored_as_json_gives_it_back():
    """The plain-data shortcut of `_canonical` gives what the JSON round trip gives, and a copy."""
    import datetime as dt
    from decimal import Decimal

    from safetynet.core.audit import _canonical

    plain = {"status": "verified", "version": 3, "ok": True, "none": None, "items": [1, "a", {"b": [False]}]}
    assert _canonical(plain) == json.loads(json.dumps(plain)) and _canonical(plain) is not plain
    assert _canonical(plain)["items"] is not plain["items"]
    mixed = {"amount": Decimal("2070.00"), "on": dt.date(2026, 3, 2), "pair": (1, 2), "f": 0.5}
    assert _canonical(mixed) == {"amount": "2070.00", "on": "2026-03-02", "pair": [1, 2], "f": 0.5}
    assert _canonical({3: "x"}) == {"3": "x"}
