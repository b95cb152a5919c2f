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
from .jsonvalues import round_trip as json_value_round_trip
from .statements import db_value
from .statements import cursor as statement_cursor

GENESIS = "0" * 64


def _canonical(value: Any) -> Any:
    """JSON-normalise (Decimal, dates) so what is hashed is what is stored."""
    return json_value_round_trip(value, DjangoJSONEncoder)


def content_digest(*, at, username, post_id, role, area_code, action, object_type, object_id, before, after) -> str:
    """What the event says, hashed in Python; the chain link over it is hashed in the database."""
    payload = json.dumps(
        [at.isoformat(), username, post_id, role, area_code, action, object_type, str(object_id), before, after],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def link_hash(previous_hash: str, sequence: int, digest: str) -> str:
    """The chain link: the same text and hash as `_advance_sql` computes in the database."""
    return hashlib.sha256(f"{previous_hash}:{sequence}:{digest}".encode("utf-8")).hexdigest()


def compute_hash(*, sequence, at, username, post_id, role, area_code, action, object_type, object_id, before, after,
                 previous_hash) -> str:
    return link_hash(previous_hash, sequence, content_digest(
        at=at, username=username, post_id=post_id, role=role, area_code=area_code, action=action,
        object_type=object_type, object_id=object_id, before=before, after=after))


# The event's own columns, in the order the append statement takes them.
_CONTENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields
                   if not f.primary_key and f.attname not in ("sequence", "previous_hash", "hash")]
_STATEMENTS: dict[str, tuple[str, str | None]] = {}


def _statements(connection) -> tuple[str, str | None]:
    if connection.vendor not in _STATEMENTS:
        _STATEMENTS[connection.vendor] = _write_statements(connection)
    return _STATEMENTS[connection.vendor]


def _advance_sql(connection) -> str:
    """Advance the head by one link over the digest parameter, returning (sequence, previous
    hash, hash). The UPDATE locks the head row, so the chain has one writer at a time, and the
    link is hashed inside the statement so the lock is held for one statement, not three."""
    quote = connection.ops.quote_name
    sequence, previous, current = quote("sequence"), quote("previous_hash"), quote("hash")
    text = f"{current} || ':' || ({sequence} + 1) || ':' || %s"
    digest = (f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')" if connection.vendor == "postgresql"
              else f"SHA256({text})")    # Django registers SHA256 on every SQLite connection
    return (f"UPDATE {quote(AuditChainHead._meta.db_table)} SET {sequence} = {sequence} + 1, {previous} = {current}, "
            f"{current} = {digest} WHERE {quote('id')} = 1 RETURNING {sequence}, {previous}, {current}")


def _write_statements(connection) -> tuple[str, str | None]:
    """(append, insert): written once per vendor. On PostgreSQL the append is one statement, the
    head's advance feeding the INSERT (a data-modifying WITH), returning the event's id and
    chain columns; elsewhere it advances the head, and `insert` then writes the event.

    Every service appends an event, so this is on the path of every write (bench/bench_cases.py:
    through the queryset API the append cost a savepoint and five statements)."""
    quote = connection.ops.quote_name
    chain = [quote("sequence"), quote("previous_hash"), quote("hash")]
    columns = ", ".join(chain + [quote(f.column) for f in _CONTENT_FIELDS])
    values = ", ".join(["%s"] * len(_CONTENT_FIELDS))
    table = quote(AuditEvent._meta.db_table)
    if connection.vendor == "postgresql":
        head = ", ".join(f"head.{c}" for c in chain)
        return (f"WITH head AS ({_advance_sql(connection)}) INSERT INTO {table} ({columns}) "
                f"SELECT {head}, {values} FROM head RETURNING {quote('id')}, {', '.join(chain)}", None)
    returning = f" RETURNING {quote('id')}" if connection.features.can_return_columns_from_insert else ""
    return _advance_sql(connection), f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, {values}){returning}"


def chain_statements(connection) -> tuple[str, str, list[str], str]:
    """(lock the head and read its sequence and hash; the events' table; its columns, the chain's
    first; set the head) for appending many events at once (core/unitofwork.py), the links hashed
    in Python by `link_hash`."""
    quote = connection.ops.quote_name
    head = quote(AuditChainHead._meta.db_table)
    lock = f"SELECT {quote('sequence')}, {quote('hash')} FROM {head} WHERE {quote('id')} = 1"
    if connection.features.has_select_for_update:
        lock += " FOR UPDATE"
    columns = ["sequence", "previous_hash", "hash"] + [f.column for f in _CONTENT_FIELDS]
    return (lock, AuditEvent._meta.db_table, columns,
            f"UPDATE {head} SET {quote('sequence')} = %s, {quote('previous_hash')} = %s, {quote('hash')} = %s "
            f"WHERE {quote('id')} = 1")


def _event_values(*, actor, action, obj, object_type, object_id, before, after) -> dict:
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or obj.pk
    return {
        "at": timezone.now(),
        "user_id": getattr(actor, "user_id", None),
        "username": getattr(actor, "username", "") or "system",
        "post_id": getattr(actor, "post_id", None),
        "role": getattr(actor, "role", "") or "",
        "area_code": getattr(actor, "area_code", "") or "",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else "",
        "before": _canonical(before) if before is not None else None,
        "after": _canonical(after) if after is not None else None,
    }


def _digest_and_content(values: dict, connection) -> tuple[str, list]:
    digest = content_digest(**{k: v for k, v in values.items() if k != "user_id"})
    return digest, [db_value(f, values[f.attname], connection) for f in _CONTENT_FIELDS]


def event_content(*, actor, action: str, obj=None, object_type: str = "", object_id: Any = "", before=None,
                  after=None, connection) -> tuple[str, list]:
    """(content digest, content columns) of one event, for a unit of work to chain at its flush
    (core/unitofwork.py): the same values `record_event` writes."""
    values = _event_values(actor=actor, action=action, obj=obj, object_type=object_type, object_id=object_id,
                           before=before, after=after)
    return _digest_and_content(values, connection)


def append_one(connection, digest: str, content: list) -> tuple:
    """Append one event (its content digest and columns) to the chain, the link hashed in the
    database: (sequence, previous hash, hash, event id). The one way a single event is written,
    by `record_event` and by a unit of work with one event to append (core/unitofwork.py)."""
    append, insert = _statements(connection)
    with transaction.atomic(savepoint=False, using=connection.alias), statement_cursor(connection) as cursor:
        for attempt in (1, 2):
            cursor.execute(append, [digest] + ([] if insert else content))
            row = cursor.fetchone()
            if row is not None:
                break
            AuditChainHead.objects.using(connection.alias).get_or_create(id=1)   # the first event ever
        if insert:
            cursor.execute(insert, list(row) + content)
            pk = cursor.fetchone()[0] if connection.features.can_return_columns_from_insert else cursor.lastrowid
            return (row[0], row[1], row[2], pk)
        return (row[1], row[2], row[3], row[0])


def record_event(*, actor, action: str, obj=None, object_type: str = "", object_id: Any = "", before=None,
                 after=None) -> AuditEvent:
    """Append one event to the chain. `actor` is an Actor (or None for the system).

    Runs in the caller's transaction without a savepoint: if the append fails, the write it
    describes fails with it. Returns the event. (A case step queues its events in its unit of
    work instead: `UnitOfWork.record_event`.)"""
    connection = connections[DEFAULT_DB_ALIAS]
    values = _event_values(actor=actor, action=action, obj=obj, object_type=object_type, object_id=object_id,
                           before=before, after=after)
    digest, content = _digest_and_content(values, connection)
    event = AuditEvent(**values)
    event.sequence, event.previous_hash, event.hash, event.pk = append_one(connection, digest, content)
    event._state.adding = False
    event._state.db = connection.alias
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
