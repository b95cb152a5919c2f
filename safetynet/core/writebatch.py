"""Many steps in one transaction, their writes sent to the database together at the end.

A case step reads a few rows and writes four or five: the case's UPDATE, its timeline row, the
audit event, and a row of its own (a survey, a report, a notice, a decision). Taken one case at a
time that is about ten statements and a commit a step, and on PostgreSQL each statement is a
round trip costing more than the step's own logic (bench/bench_cases.py). A town that closes a
village's notices, the county confirming a list, the verification engine filing its reports:
these take one step for many cases, and inside `deferred_writes()` the writes of all of them go
in a few multi-row statements and one commit.

What is deferred: the writes made through the low-level helpers — `core.statements.insert_row`
and `update_where`, the case's UPDATE and timeline row (`cases.statements`), and the audit
event (`core.audit.record_event`). Reads run as they come. Nothing about the rules changes:
each case still goes through its step's own service, with every check, in the same order.

The contract:
- Only steps whose writes all go through those helpers may run deferred (`cases.batch` lists
  them, and a test checks that each sends nothing but reads before the flush).
- A new row gets its primary key at once, taken from the table's sequence on PostgreSQL, or
  counted on from `sqlite_sequence` under SQLite's write lock (its transactions are
  IMMEDIATE), so a step can still use `survey.pk`.
- `mark()` and `discard(mark)` drop what one case wrote when its step refuses it: a refused
  case holds back no other.
- Conditional UPDATEs (a case's version) must each match one row at the flush, or the whole
  batch is rolled back (the batch loads its cases FOR UPDATE on PostgreSQL, so they cannot
  move meanwhile).
- Audit events are chained at the flush, under the chain head's lock, which is then held only
  until the commit right after: other writers wait for one flush, not for the whole batch.
- `claim(key)` lets a service refuse the second of two items in one batch that the database
  would refuse at the flush (two applications for one household).
- `send_ready()`, between two items, sends the UPDATEs the finished items queued (PostgreSQL
  with prepared statements, in pipeline mode, without waiting for the answers): the server
  applies them while the client works out the next items, so one desk uses both cores. The
  answers are read at the flush, where a version that missed still rolls back everything. An
  item's writes are sent only once its step is done, so `discard` never needs them back.
"""
from __future__ import annotations

import re
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils.translation import gettext as _

from . import statements
from .errors import Conflict
from .statements import cursor as statement_cursor
from .statements import insert_many, row_values, sends_ahead

class ImmediateWrite(RuntimeError):
    """A step in a write batch wrote around the batch and then failed: the batch is given up."""


@dataclass
class _Op:
    kind: str                 # "insert" or "update"
    key: tuple                # what groups ops into one statement: (model, columns) or the UPDATE's SQL
    params: list
    expect: int | None = None     # rows the UPDATE must change (None: any)
    row: tuple | None = None      # the row an UPDATE touches, to keep two updates of it in order
    model: type | None = None     # the model an UPDATE writes


@dataclass
class _Mark:
    ops: int
    events: int
    claims: int
    immediate: int
    updates: int


@dataclass
class WriteBatch:
    connection: object
    size_hint: int = 100
    ops: list[_Op] = field(default_factory=list)
    events: list[tuple[str, list]] = field(default_factory=list)     # (digest, content columns)
    claims: list = field(default_factory=list)
    preloaded: dict = field(default_factory=dict)
    immediate_writes: int = 0     # writes that went to the database at once (not through the helpers)
    _next_ids: dict = field(default_factory=dict)
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

    def insert_values(self, model: type[models.Model], columns: tuple[str, ...], params: list) -> None:
        """Queue an INSERT of prepared column values (the database gives the key; nobody reads it)."""
        self.ops.append(_Op("insert", (model, columns), params))

    def update(self, model: type[models.Model], sql: str, params: list, *, expect: int | None = None,
               row: tuple | None = None) -> None:
        self.ops.append(_Op("update", (sql,), params, expect, row, model))
        self._updates += 1

    def audit(self, digest: str, content: list) -> None:
        self.events.append((digest, content))

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
                quote = self.connection.ops.quote_name
                with statement_cursor(self.connection) as cursor:
                    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                                   [quote(model._meta.db_table), model._meta.pk.column, self.size_hint])
                    pool = self._id_pools[model] = [row[0] for row in cursor.fetchall()][::-1]
            return pool.pop()
        if model not in self._next_ids:
            quote = self.connection.ops.quote_name
            table = model._meta.db_table
            with statement_cursor(self.connection) as cursor:
                cursor.execute(f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                               f"coalesce((SELECT max({quote(model._meta.pk.column)}) FROM {quote(table)}), 0))", [table])
                self._next_ids[model] = cursor.fetchone()[0] + 1
        value = self._next_ids[model]
        self._next_ids[model] = value + 1
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
        if self._pipeline is None:
            self._pipeline = ExitStack()
            self.connection.ensure_connection()
            with self.connection.wrap_database_errors:
                self._pipeline.enter_context(self.connection.connection.pipeline())
        self.ops = [op for op in self.ops if op.kind == "insert" or op.model in waiting]
        _inserts, updates = _grouped(ready)
        with self.connection.wrap_database_errors:
            for (sql,), group in updates:
                self._send(sql, [op.params for op in group], _expected(group))

    def _send(self, sql: str, rows: list, expected: int | None) -> None:
        import psycopg

        cursor = psycopg.Cursor(self.connection.connection)     # server binding, prepared by executemany
        cursor.executemany(sql, rows)                            # in the pipeline: sent, not awaited
        self._sent.append((cursor, expected))

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
        self.close_pipeline()
        inserts, updates = _grouped(self.ops)
        for (model, columns), rows in inserts.items():
            insert_many(model._meta.db_table, columns, rows, self.connection)
        for (sql,), group in updates:
            self._update_rows(sql, group)
        if self.events:
            self._append_events()

    def _update_rows(self, sql: str, group: list[_Op]) -> None:
        with statement_cursor(self.connection) as cursor:
            cursor.executemany(sql, [op.params for op in group])
            changed = cursor.rowcount
        expected = _expected(group)
        if expected is not None and changed != expected:
            raise _moved()

    def _append_events(self) -> None:
        from .audit import GENESIS, chain_statements, link_hash
        from .models import AuditChainHead

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


def active() -> WriteBatch | None:
    return statements.active_batch()


@contextmanager
def deferred_writes(size_hint: int = 100):
    """One durable transaction in which the helpers' writes are kept and sent at the end (see
    the module docstring). Yields the WriteBatch. An exception leaves nothing written."""
    if active() is not None:
        raise RuntimeError("Write batches do not nest.")
    with transaction.atomic(durable=True):
        connection = connections[DEFAULT_DB_ALIAS]
        batch = WriteBatch(connection, size_hint=max(1, size_hint))
        statements.set_active_batch(batch)
        try:
            with connection.execute_wrapper(batch.watch):
                yield batch
        except BaseException as error:
            batch.close_pipeline(error)
            raise
        finally:
            statements.set_active_batch(None)
        try:
            batch.flush()
        except BaseException as error:
            batch.close_pipeline(error)
            raise


def step_transaction(func):
    """A service's own durable transaction (`transaction.atomic(durable=True)`), or, inside a
    write batch, the batch's: the batch commits every case it took at once."""
    import functools

    durable = transaction.atomic(durable=True)(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if statements.active_batch() is not None:
            return func(*args, **kwargs)
        return durable(*args, **kwargs)

    return wrapper
