"""The unit of work every case step writes through, passed to it as an argument.

A case step reads a few rows and writes four or five: the case's UPDATE, its timeline row, the
audit event, and a row of its own (a survey, a report, a notice, a decision). Written one at a
time that is about ten statements and a commit a case, and on PostgreSQL each statement is a
round trip costing more than the step's own logic (bench/bench_cases.py). A step is therefore
taken for a list of cases (one case is a list of one) inside `unit_of_work()`, and it writes
only through the `UnitOfWork` it is given: `insert`, `update_where`, `record_event`, and the
case's UPDATE and timeline row (`cases.statements.update_case`, `insert_event`). At the end the
writes of all the cases go in a few multi-row statements and one commit (docs/adr/0009).

Nothing here is a mode: a function that writes through a unit of work takes it as an argument,
and the helpers in `core.statements` and `core.audit` always write at once.

The contract:
- A new row gets its primary key at once, taken from the table's sequence on PostgreSQL, or
  counted on from `sqlite_sequence` under SQLite's write lock (its transactions are
  IMMEDIATE), so a step can still use `survey.pk`.
- `mark()` and `discard(mark)` drop what one case wrote when its step refuses it: a refused
  case holds back no other. A write that went to the database directly (around the unit of
  work) cannot be dropped alone: a refusal after one gives up the whole unit (ImmediateWrite).
- Conditional UPDATEs (a case's version) must each match one row at the flush, or the whole
  unit is rolled back (the steps load their cases FOR UPDATE on PostgreSQL, so they cannot
  move meanwhile).
- Audit events are chained at the flush, under the chain head's lock, which is then held only
  until the commit right after: other writers wait for one flush, not for the whole unit.
- `send_ready()`, between two cases, sends the UPDATEs the finished cases queued (PostgreSQL
  with prepared statements, in pipeline mode, without waiting for the answers): the server
  applies them while the client works out the next cases, so one desk uses both cores. The
  answers are read at the flush, where a version that missed still rolls back everything. A
  case's writes are sent only once its step is done, so `discard` never needs them back.
"""
from __future__ import annotations

import re
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils.translation import gettext as _

from .audit import GENESIS, append_one, chain_statements, event_content, link_hash, record_event
from .errors import Conflict
from .models import AuditChainHead
from .statements import cursor as statement_cursor
from .statements import (
    insert_many, insert_row, insert_values_sql, row_values, sends_ahead, update_statement, update_where,
)

# A unit inserting at most this many rows sends everything in one pipeline on PostgreSQL (one
# case's step); above it, rows go by COPY, which costs the client less per row.
PIPELINED_ROWS = 16


class ImmediateWrite(RuntimeError):
    """A step wrote around its unit of work and then failed: the unit is given up."""


@dataclass
class _Op:
    kind: str                 # "insert" or "update"
    key: tuple                # what groups ops into one statement: (model, columns) or the UPDATE's SQL
    params: list
    expect: int | None = None     # rows the UPDATE must change (None: any)
    row: tuple | None = None      # the row an UPDATE touches, to keep two updates of it in order
    model: type | None = None     # the model an UPDATE writes


_SEQUENCES: dict[tuple[str, str], str] = {}


def _sequence_of(connection, model) -> str:
    """The sequence that gives `model`'s keys on PostgreSQL, looked up once per process (the
    lookup through the catalog cost more than the nextval)."""
    key = (connection.settings_dict["NAME"], model._meta.db_table)
    if key not in _SEQUENCES:
        with statement_cursor(connection) as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)",
                           [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column])
            _SEQUENCES[key] = cursor.fetchone()[0]
    return _SEQUENCES[key]


class _Rows:
    """The rows changed by statements sent one by one in a pipeline, summed."""

    def __init__(self, cursors: list):
        self.cursors = cursors

    @property
    def rowcount(self) -> int:
        return sum(cursor.rowcount for cursor in self.cursors)


@dataclass
class _Mark:
    ops: int
    events: int
    claims: int
    immediate: int
    updates: int


@dataclass
class UnitOfWork:
    connection: object
    size_hint: int = 100
    ops: list[_Op] = field(default_factory=list)
    events: list[tuple[str, list]] = field(default_factory=list)     # (digest, content columns)
    claims: list = field(default_factory=list)
    immediate_writes: int = 0     # writes that went to the database at once (not through the helpers)
    _next_ids: dict | None = None      # SQLite: the next key of each table, by table name
    _id_pools: dict = field(default_factory=dict)
    # Queued UPDATEs that make `send_ready()` send them (settings.WRITE_BATCH_SEND_EVERY; 0:
    # never): a step's UPDATEs for a few cases, so the server starts early and a send is one or
    # two statements.
    send_every: int = field(default_factory=lambda: settings.WRITE_BATCH_SEND_EVERY)
    _updates: int = 0             # UPDATEs queued and not sent
    _sent: list = field(default_factory=list)          # (cursor, rows it must change or None)
    _pipeline: ExitStack | None = None

    # ---- what the helpers call ----------------------------------------------------------------

    def insert(self, instance: models.Model) -> models.Model:
        """Queue the INSERT of `instance` (unsaved, auto primary key), giving it its key now."""
        model = type(instance)
        instance.pk = self.allocate_id(model)
        fields = [model._meta.pk] + [f for f in model._meta.concrete_fields if not f.primary_key]
        params = row_values(instance, fields, self.connection)
        self.ops.append(_Op("insert", (model, tuple(f.column for f in fields)), params))
        instance._state.adding = False
        instance._state.db = self.connection.alias
        return instance

    def insert_unkeyed(self, instance: models.Model) -> None:
        """Queue the INSERT of `instance` without taking its key now (the database gives it at the
        flush): for a row nobody in the step refers to by its key."""
        model = type(instance)
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.ops.append(_Op("insert", (model, tuple(f.column for f in fields)), row_values(instance, fields, self.connection)))

    def insert_values(self, model: type[models.Model], columns: tuple[str, ...], params: list) -> None:
        """Queue an INSERT of prepared column values (the database gives the key; nobody reads it)."""
        self.ops.append(_Op("insert", (model, columns), params))

    def update(self, model: type[models.Model], sql: str, params: list, *, expect: int | None = None,
               row: tuple | None = None) -> None:
        self.ops.append(_Op("update", (sql,), params, expect, row, model))
        self._updates += 1

    def update_where(self, model: type[models.Model], values: dict, **where) -> None:
        """Queue `UPDATE model SET values WHERE each of where equals its value` (as
        `core.statements.update_where`, whose SQL it shares); the rows it changes are not counted."""
        sql, params, n_set = update_statement(model, values, where, self.connection)
        self.update(model, sql, params, row=(model._meta.db_table,) + tuple(params[n_set:]))

    def record_event(self, *, actor, action: str, obj=None, object_type: str = "", object_id: Any = "",
                     before=None, after=None) -> None:
        """Queue one audit event (`core.audit.record_event`'s arguments), chained at the flush."""
        self.events.append(event_content(actor=actor, action=action, obj=obj, object_type=object_type,
                                         object_id=object_id, before=before, after=after, connection=self.connection))

    def claim(self, key) -> bool:
        """False when `key` was claimed earlier in this batch (and not discarded)."""
        if key in self.claims:
            return False
        self.claims.append(key)
        return True

    def mark(self) -> _Mark:
        return _Mark(len(self.ops), len(self.events), len(self.claims), self.immediate_writes, self._updates)

    def discard(self, mark: _Mark) -> None:
        """Drop what was queued since `mark`. A write that already went to the database cannot be
        dropped alone: then the whole batch is given up (ImmediateWrite), so that no case is left
        half-moved."""
        if self.immediate_writes != mark.immediate:
            raise ImmediateWrite("a step in a write batch wrote to the database directly and then failed")
        del self.ops[mark.ops:]
        del self.events[mark.events:]
        del self.claims[mark.claims:]
        self._updates = mark.updates

    def watch(self, execute, sql, params, many, context):
        """Django's execute wrapper for the batch: counts the statements that write at once."""
        if _writes(sql):
            self.immediate_writes += 1
        return execute(sql, params, many, context)

    # ---- keys ---------------------------------------------------------------------------------

    def allocate_id(self, model: type[models.Model]) -> int:
        if self.connection.vendor == "postgresql":
            pool = self._id_pools.get(model)
            if not pool:
                with statement_cursor(self.connection) as cursor:
                    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                                   [_sequence_of(self.connection, model), self.size_hint])
                    pool = self._id_pools[model] = [row[0] for row in cursor.fetchall()][::-1]
            return pool.pop()
        if self._next_ids is None:
            # SQLite keeps the largest key each AUTOINCREMENT table ever had in sqlite_sequence (an
            # explicit key included); all of them in one read, under the unit's write lock.
            with statement_cursor(self.connection) as cursor:
                cursor.execute("SELECT name, seq FROM sqlite_sequence", [])
                self._next_ids = {name: seq + 1 for name, seq in cursor.fetchall()}
        table = model._meta.db_table
        value = self._next_ids.get(table, 1)
        self._next_ids[table] = value + 1
        return value

    # ---- sending ahead -------------------------------------------------------------------------

    def send_ready(self) -> None:
        """Between two items (no `mark` outstanding): send the queued UPDATEs if there are enough
        of them and the database can take them without an answer (`sends_ahead`). Inserts wait
        for the flush, where COPY writes them for a fraction of the client's work, and so do
        updates of a table with inserts waiting, which might be for those very rows."""
        if not self.send_every or self._updates < self.send_every or not sends_ahead(self.connection):
            return
        waiting = {op.key[0] for op in self.ops if op.kind == "insert"}
        ready = [op for op in self.ops if op.kind == "update" and op.model not in waiting]
        self._updates = 0         # the updates held back go at the flush: not counted again
        if not ready:
            return
        self._open_pipeline()
        self.ops = [op for op in self.ops if op.kind == "insert" or op.model in waiting]
        _inserts, updates = _grouped(ready)
        with self.connection.wrap_database_errors:
            for (sql,), group in updates:
                self._send(sql, [op.params for op in group], _expected(group))

    def _open_pipeline(self) -> None:
        if self._pipeline is None:
            self._pipeline = ExitStack()
            self.connection.ensure_connection()
            with self.connection.wrap_database_errors:
                self._pipeline.enter_context(self.connection.connection.pipeline())

    def _send(self, sql: str, rows: list, expected: int | None) -> None:
        """Send ahead, between two cases (send_ready): one `executemany` for the rows of a shape."""
        import psycopg    # here: SQLite-only installs have no psycopg, and only PostgreSQL sends ahead

        cursor = psycopg.Cursor(self.connection.connection)     # server binding, prepared by executemany
        cursor.executemany(sql, rows)                            # in the pipeline: sent, not awaited
        self._sent.append((cursor, expected))

    def _pipe(self, sql: str, rows: list, expected: int | None) -> None:
        """A small unit's flush: each row its own prepared statement in the pipeline (a one-row
        `executemany` costs more than the statement)."""
        import psycopg    # as in _send

        raw = self.connection.connection
        cursors = []
        for row in rows:                      # prepared once per connection, as core.statements.cursor() does
            cursor = psycopg.Cursor(raw)      # server binding; one a statement, each keeping its answer
            cursor.execute(sql, row, prepare=True)
            cursors.append(cursor)
        self._sent.append((_Rows(cursors), expected))

    def close_pipeline(self, error: BaseException | None = None) -> None:
        """Read every answer to what was sent ahead (an error in it raises here, as Django's)
        and check that each versioned UPDATE changed its rows."""
        if self._pipeline is None:
            return
        pipeline, self._pipeline = self._pipeline, None
        if error is not None:
            pipeline.__exit__(type(error), error, error.__traceback__)
            return
        with self.connection.wrap_database_errors:
            pipeline.close()
        sent, self._sent = self._sent, []
        for cursor, expected in sent:
            if expected is not None and cursor.rowcount != expected:
                raise _moved()

    # ---- the flush ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Send what is queued: first the UPDATEs of tables that had no row queued for insertion
        before them (a reopened case's enrollment ended before its new one is inserted, a notice
        closed before it is posted again), then the INSERTs, then the UPDATEs of rows queued
        before them (a case filed and accepted in one step), then the audit events. On
        PostgreSQL a small unit (one case's step) sends it all in one pipeline, answered in one
        round trip; a large one writes its rows by COPY."""
        inserted: set = set()
        early, late = [], []
        for op in self.ops:
            if op.kind == "insert":
                inserted.add(op.key[0])
            elif op.model not in inserted:
                early.append(op)
            else:
                late.append(op)
        _none, early_updates = _grouped(early)
        inserts, late_updates = _grouped([op for op in self.ops if op.kind == "insert"] + late)
        if sum(len(rows) for rows in inserts.values()) <= PIPELINED_ROWS and sends_ahead(self.connection):
            self._flush_pipelined(early_updates, inserts, late_updates)
            return
        self.close_pipeline()
        for (sql,), group in early_updates:
            self._update_rows(sql, group)
        for (model, columns), rows in inserts.items():
            insert_many(model._meta.db_table, columns, rows, self.connection)
        for (sql,), group in late_updates:
            self._update_rows(sql, group)
        if self.events:
            self._append_events()

    def _flush_pipelined(self, early_updates, inserts, late_updates) -> None:
        self._open_pipeline()
        with self.connection.wrap_database_errors:
            for (sql,), group in early_updates:
                self._pipe(sql, [op.params for op in group], _expected(group))
            for (model, columns), rows in inserts.items():
                self._pipe(insert_values_sql(self.connection, model._meta.db_table, columns), rows, None)
            for (sql,), group in late_updates:
                self._pipe(sql, [op.params for op in group], _expected(group))
        if len(self.events) == 1:     # its answer is the pipeline's one round trip
            append_one(self.connection, *self.events[0])
        self.close_pipeline()
        if len(self.events) > 1:
            self._append_events()

    def _update_rows(self, sql: str, group: list[_Op]) -> None:
        with statement_cursor(self.connection) as cursor:
            cursor.executemany(sql, [op.params for op in group])
            changed = cursor.rowcount
        expected = _expected(group)
        if expected is not None and changed != expected:
            raise _moved()

    def _append_events(self) -> None:
        if len(self.events) == 1:      # one event (one case's step): hashed in the one statement that appends it
            append_one(self.connection, *self.events[0])
            return
        lock, table, columns, update_head = chain_statements(self.connection)
        with statement_cursor(self.connection) as cursor:
            cursor.execute(lock, [])
            row = cursor.fetchone()
            if row is None:
                AuditChainHead.objects.get_or_create(id=1)
                cursor.execute(lock, [])
                row = cursor.fetchone()
        sequence, previous = row[0], row[1] or GENESIS
        rows = []
        before = previous
        for digest, content in self.events:
            sequence += 1
            current = link_hash(previous, sequence, digest)
            rows.append([sequence, previous, current] + content)
            before, previous = previous, current
        insert_many(table, columns, rows, self.connection)
        with statement_cursor(self.connection) as cursor:
            cursor.execute(update_head, [sequence, before, previous])



def _grouped(ops: list[_Op]) -> tuple[dict, list]:
    """The inserts by (model, columns), and the updates by statement in the order to run them:
    each row's updates kept in the order they were made."""
    inserts: dict[tuple, list[list]] = {}
    updates: dict[tuple, list[_Op]] = {}
    seen: dict[tuple, int] = {}
    for op in ops:
        if op.kind == "insert":
            inserts.setdefault(op.key, []).append(op.params)
            continue
        nth = 0
        if op.row is not None:
            nth = seen.get(op.row, 0)
            seen[op.row] = nth + 1
        updates.setdefault((nth, op.key), []).append(op)
    ordered = sorted(updates.items(), key=lambda item: item[0][0])
    return inserts, [(key, group) for (_nth, key), group in ordered]


def _expected(group: list[_Op]) -> int | None:
    """The rows a group of UPDATEs must change in all, or None when any of them may change any."""
    expected = [op.expect for op in group]
    return sum(expected) if all(e is not None for e in expected) else None


def _moved() -> Conflict:
    # Someone moved a row between the batch's read and its write: nothing of it stays.
    return Conflict(_("A case changed while the batch was being taken; nothing was saved. Try again."))


_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE)\b", re.IGNORECASE)


def _writes(sql: str) -> bool:
    """Whether a statement changes data: reads start with SELECT (a union may open with a
    parenthesis); a WITH writes when it holds a data-modifying statement."""
    head = sql.lstrip("( \n\t")[:9].upper()
    if head.startswith(("SELECT", "SAVEPOINT", "RELEASE", "SHOW", "EXPLAIN")):
        return False
    if head.startswith("WITH"):
        return bool(_WRITES.search(sql))
    return True


class WritesAtOnce:
    """The unit of work's writing methods, each sent at once in the caller's transaction: for a
    function written for a unit of work (a public notice posted, say) called by code that
    writes as it goes (an enrollment's decision). Passed as an argument like a unit of work."""

    def insert(self, instance: models.Model) -> models.Model:
        return insert_row(instance)

    def insert_unkeyed(self, instance: models.Model) -> None:
        insert_row(instance)

    def update_where(self, model: type[models.Model], values: dict, **where) -> None:
        update_where(model, values, **where)

    def record_event(self, **kwargs) -> None:
        record_event(**kwargs)


AT_ONCE = WritesAtOnce()


@contextmanager
def unit_of_work(size_hint: int = 100):
    """One durable transaction whose writes, made through the yielded `UnitOfWork`, are sent at
    the end (see the module docstring). An exception leaves nothing written. `size_hint`: about
    how many rows of a table the unit will insert (keys are taken from PostgreSQL's sequences
    that many at a time)."""
    with transaction.atomic(durable=True):
        connection = connections[DEFAULT_DB_ALIAS]
        uow = UnitOfWork(connection, size_hint=max(1, size_hint))
        try:
            with connection.execute_wrapper(uow.watch):
                yield uow
        except BaseException as error:
            uow.close_pipeline(error)
            raise
        try:
            uow.flush()
        except BaseException as error:
            uow.close_pipeline(error)
            raise
