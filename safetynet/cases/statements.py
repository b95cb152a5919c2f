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

from safetynet.core.statements import Prepared, db_value, objects_by_key
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
    """The case with this id, or None (a page's read; a step loads its cases with `load_cases`);
    the caller checks the actor's scope."""
    sql, attnames, converters, compiler = _select(using)
    with statement_cursor(connections[using]) as cursor:
        cursor.execute(sql, [case_id])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    return Case.from_db(using, attnames, row)


def load_cases(case_ids) -> dict[int, Case]:
    """The cases a step is taken on, by id (an id with no case is absent), in one statement.
    Several cases are locked until the step's commit on PostgreSQL (SQLite's IMMEDIATE
    transaction already holds the write lock), so no other desk moves one of them between the
    checks and the flush and makes the whole list fail there. One case is not: the version its
    UPDATE keeps refuses the unit just as well if another desk moved it, and the lock cost the
    one-case path a write on the server (bench/bench_cases.py --batch 1)."""
    ids = list(dict.fromkeys(case_ids))
    read = _CASES_FOR_UPDATE if len(ids) > 1 and connections["default"].features.has_select_for_update else _CASES
    return {case_id: found[0] for case_id, found in objects_by_key(read, ids).items() if found}


_CASES = Prepared(lambda ids: Case.objects.filter(pk__in=ids).order_by("pk"))
# Compiled once per connection (core/statements.py): the queryset API cost a fifth of a batch step.
_CASES_FOR_UPDATE = Prepared(lambda ids: Case.objects.filter(pk__in=ids).order_by("pk").select_for_update(of=("self",)))


_CASE_FIELDS = {f.name: f for f in Case._meta.concrete_fields}
_EVENT_FIELDS = [f for f in CaseEvent._meta.concrete_fields if not f.primary_key]


def _update_sql(connection, names: tuple[str, ...]) -> str:
    cache = _local.__dict__.setdefault("updates", {})
    key = (connection.vendor, names)
    if key not in cache:
        quote = connection.ops.quote_name
        columns = ", ".join(f"{quote(_CASE_FIELDS[name].column)} = %s" for name in names)
        cache[key] = (f"UPDATE {quote(Case._meta.db_table)} SET {columns} "
                      f"WHERE {quote('id')} = %s AND {quote('version')} = %s")
    return cache[key]


def update_case(uow, case_id: int, version: int, fields: dict) -> None:
    """Queue in `uow` the UPDATE of the case's `fields` where its version is still `version`; the
    flush refuses the whole unit if it changes no row (someone else moved the case first)."""
    connection = uow.connection
    sql = _update_sql(connection, tuple(fields))
    values = [db_value(_CASE_FIELDS[name], value, connection) for name, value in fields.items()]
    uow.update(Case, sql, values + [case_id, version], expect=1, row=("cases.case", case_id))


_EVENT_COLUMNS = tuple(f.column for f in _EVENT_FIELDS)


def insert_event(uow, **values) -> None:
    """Queue in `uow` one timeline row (CaseEvent) from its field values."""
    params = []
    for field in _EVENT_FIELDS:
        value = values.get(field.attname, values.get(field.name))
        if value is None and field.has_default():
            value = field.get_default()
        params.append(db_value(field, value, uow.connection))
    uow.insert_values(CaseEvent, _EVENT_COLUMNS, params)
