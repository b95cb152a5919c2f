"""The three statements every case step runs, prepared once per database connection.

Every service loads the case, and every transition updates it and writes a timeline row. A
Case has some sixty columns, and building the SQL for them through the queryset API costs about
ten times running it (measured in bench/bench_cases.py: ~0.9 ms of Python against ~0.07 ms for
the statement on the benchmark machine). So the SELECT is compiled by Django once per
connection and replayed with Django's own converters; the UPDATE and INSERT are written from
the fields' own `get_db_prep_save`, exactly as the queryset would. Nothing here decides
anything: scope, permissions and the order of steps stay in `workflow` and `services`.
"""
from __future__ import annotations

import threading

from django.db import connections

from safetynet.core.statements import Prepared, active_batch, db_value, read_objects_ahead
from safetynet.core.statements import cursor as statement_cursor

from .models import Case, CaseEvent

# Per thread, like Django's connections (the converters are bound to the thread's connection).
_local = threading.local()


def _select(using: str):
    """(sql, field attnames, converters, compiler) for "the case with this id", compiled once."""
    connection = connections[using]
    _prepared = _local.__dict__.setdefault("prepared", {})
    key = (using, id(connection))
    if key not in _prepared:
        queryset = Case.objects.using(using).filter(pk=0).order_by()
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        assert list(params) == [0], params
        attnames = [col.target.attname for col, _sql, _alias in compiler.select]
        converters = compiler.get_converters([col for col, _sql, _alias in compiler.select])
        _prepared[key] = (sql, attnames, converters, compiler)
    return _prepared[key]


def load_case(case_id: int, using: str = "default") -> Case | None:
    """The case with this id, or None; the caller checks the actor's scope. Inside a write
    batch, a case the batch loaded (`load_cases_for_batch`) is not read again."""
    batch = active_batch()
    if batch is not None and ("cases.case", case_id) in batch.preloaded:
        return batch.preloaded[("cases.case", case_id)]
    sql, attnames, converters, compiler = _select(using)
    with statement_cursor(connections[using]) as cursor:
        cursor.execute(sql, [case_id])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    return Case.from_db(using, attnames, row)


def load_cases_for_batch(batch, case_ids) -> None:
    """Load the batch's cases in one statement, locked until its commit on PostgreSQL (SQLite's
    IMMEDIATE transaction already holds the write lock), so no other desk moves them between
    the checks and the flush."""
    read_objects_ahead("cases.case", _CASES_FOR_UPDATE, case_ids)
    for key in [key for key in batch.preloaded if key[0] == "cases.case"]:
        found = batch.preloaded[key]
        batch.preloaded[key] = found[0] if found else None        # None: no such case


def _cases_for_update(ids):
    queryset = Case.objects.filter(pk__in=ids).order_by("pk")
    if connections["default"].features.has_select_for_update:
        queryset = queryset.select_for_update(of=("self",))
    return queryset


# Compiled once per connection (core/statements.py): the queryset API cost a fifth of a batch step.
_CASES_FOR_UPDATE = Prepared(_cases_for_update)


_CASE_FIELDS = {f.name: f for f in Case._meta.concrete_fields}
_EVENT_FIELDS = [f for f in CaseEvent._meta.concrete_fields if not f.primary_key]


class Updated:
    """The rows an UPDATE changed, read when asked: inside `core.statements.pipeline()` only after
    the block has received the results."""

    def __init__(self, cursor):
        self._cursor = cursor

    @property
    def rows(self) -> int:
        try:
            return self._cursor.rowcount
        finally:
            self.close()

    def close(self) -> None:
        self._cursor.close()


class Queued:
    """An UPDATE kept in a write batch: the flush checks that it changed its row."""

    rows = 1

    def close(self) -> None:
        pass


def _update_sql(connection, names: tuple[str, ...]) -> str:
    cache = _local.__dict__.setdefault("updates", {})
    key = (connection.vendor, names)
    if key not in cache:
        quote = connection.ops.quote_name
        columns = ", ".join(f"{quote(_CASE_FIELDS[name].column)} = %s" for name in names)
        cache[key] = (f"UPDATE {quote(Case._meta.db_table)} SET {columns} "
                      f"WHERE {quote('id')} = %s AND {quote('version')} = %s")
    return cache[key]


def update_case(case_id: int, version: int, fields: dict, using: str = "default") -> Updated:
    """UPDATE the case's `fields` where its version is still `version`; `.rows` of the result is
    the rows updated (0: someone else moved it first)."""
    batch = active_batch()
    connection = batch.connection if batch is not None else connections[using]
    sql = _update_sql(connection, tuple(fields))
    values = [db_value(_CASE_FIELDS[name], value, connection) for name, value in fields.items()]
    if batch is not None:
        batch.update(Case, sql, values + [case_id, version], expect=1, row=("cases.case", case_id))
        return Queued()
    cursor = statement_cursor(connection)
    cursor.execute(sql, values + [case_id, version])
    return Updated(cursor)


_EVENT_COLUMNS = tuple(f.column for f in _EVENT_FIELDS)


def insert_event(using: str = "default", **values) -> None:
    """INSERT one timeline row (CaseEvent) from its field values."""
    batch = active_batch()
    connection = batch.connection if batch is not None else connections[using]
    params = []
    for field in _EVENT_FIELDS:
        value = values.get(field.attname, values.get(field.name))
        if value is None and field.has_default():
            value = field.get_default()
        params.append(db_value(field, value, connection))
    if batch is not None:
        batch.insert_values(CaseEvent, _EVENT_COLUMNS, params)
        return
    cache = _local.__dict__.setdefault("inserts", {})
    sql = cache.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        sql = cache[connection.vendor] = (
            f"INSERT INTO {quote(CaseEvent._meta.db_table)} ({', '.join(quote(c) for c in _EVENT_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(_EVENT_COLUMNS))})")
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
