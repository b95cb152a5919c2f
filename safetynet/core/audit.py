"""The audit ledger: append an event, verify the chain.

Every service calls `record_event` inside its own transaction, so an event exists exactly when
the write it describes was committed.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _canonical(value: Any) -> Any:
    """JSON-normalise (Decimal, dates) so what is hashed is what is stored."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False))


def compute_hash(*, sequence, at, username, post_id, role, area_code, action, object_type, object_id, before, after, previous_hash) -> str:
    payload = json.dumps(
        [sequence, at.isoformat(), username, post_id, role, area_code, action, object_type, str(object_id),
         before, after, previous_hash],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


_STATEMENTS: dict[str, tuple[str, str, str]] = {}


def _statements(connection) -> tuple[str, str, str]:
    if connection.vendor not in _STATEMENTS:
        _STATEMENTS[connection.vendor] = _write_statements(connection)
    return _STATEMENTS[connection.vendor]


def _write_statements(connection) -> tuple[str, str, str]:
    """(advance the head, insert the event, store the head's hash), written once per vendor.

    Every service appends an event, so this is on the path of every write. Through the queryset
    API the append cost a savepoint and five statements (~1.2 ms of Python a write on the
    benchmark machine, a quarter of a case step); as three plain statements it costs a fraction.
    `UPDATE ... RETURNING` both locks the head row (the chain's one writer at a time, as
    `select_for_update` did) and hands back the sequence and the previous hash."""
    quote = connection.ops.quote_name
    head = quote(AuditChainHead._meta.db_table)
    columns = ", ".join(quote(f.column) for f in _EVENT_FIELDS)
    placeholders = ", ".join(["%s"] * len(_EVENT_FIELDS))
    returning = f" RETURNING {quote('id')}" if connection.features.can_return_columns_from_insert else ""
    return (f"UPDATE {head} SET {quote('sequence')} = {quote('sequence')} + 1 WHERE {quote('id')} = 1 "
            f"RETURNING {quote('sequence')}, {quote('hash')}",
            f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) VALUES ({placeholders}){returning}",
            f"UPDATE {head} SET {quote('hash')} = %s WHERE {quote('id')} = 1")


def record_event(*, actor, action: str, obj=None, object_type: str = "", object_id: Any = "", before=None, after=None) -> AuditEvent:
    """Append one event to the chain. `actor` is an Actor (or None for the system).

    Runs in the caller's transaction without a savepoint: if the append fails, the write it
    describes fails with it."""
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or obj.pk
    connection = connections[DEFAULT_DB_ALIAS]
    advance, insert, store_hash = _statements(connection)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(advance)
        row = cursor.fetchone()
        if row is None:                     # the first event ever: the head row is created here
            AuditChainHead.objects.get_or_create(id=1)
            cursor.execute(advance)
            row = cursor.fetchone()
        sequence, previous_hash = row
        fields = dict(
            sequence=sequence,
            at=timezone.now(),
            username=getattr(actor, "username", "") or "system",
            post_id=getattr(actor, "post_id", None),
            role=getattr(actor, "role", "") or "",
            area_code=getattr(actor, "area_code", "") or "",
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else "",
            before=_canonical(before) if before is not None else None,
            after=_canonical(after) if after is not None else None,
            previous_hash=previous_hash,
        )
        fields["hash"] = compute_hash(**fields)
        event = AuditEvent(user_id=getattr(actor, "user_id", None), **fields)
        cursor.execute(insert, [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _EVENT_FIELDS])
        event.pk = cursor.fetchone()[0] if connection.features.can_return_columns_from_insert else cursor.lastrowid
        cursor.execute(store_hash, [event.hash])
    event._state.adding = False
    return event


@dataclass
class ChainBreak:
    sequence: int
    reason: str


def iter_breaks(batch_size: int = 5000) -> Iterator[ChainBreak]:
    """Walk the chain in order; yield each link whose hash or parent does not hold."""
    previous = GENESIS
    expected_sequence = 1
    qs = AuditEvent.objects.order_by("sequence")
    for event in qs.iterator(chunk_size=batch_size):
        if event.sequence != expected_sequence:
            yield ChainBreak(expected_sequence, f"event #{expected_sequence} is missing (next is #{event.sequence})")
        if event.previous_hash != previous:
            yield ChainBreak(event.sequence, "previous_hash does not match the hash of the event before it")
        recomputed = compute_hash(
            sequence=event.sequence, at=event.at, username=event.username, post_id=event.post_id, role=event.role,
            area_code=event.area_code, action=event.action, object_type=event.object_type, object_id=event.object_id,
            before=event.before, after=event.after, previous_hash=event.previous_hash,
        )
        if recomputed != event.hash:
            yield ChainBreak(event.sequence, "the row's content does not match its hash (edited after it was written)")
        previous = event.hash
        expected_sequence = event.sequence + 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head and head.sequence != expected_sequence - 1:
        yield ChainBreak(expected_sequence, f"the chain head says #{head.sequence} but the last event is #{expected_sequence - 1}")


def verify_chain() -> ChainBreak | None:
    """The first broken link, or None when the chain holds."""
    return next(iter_breaks(), None)
