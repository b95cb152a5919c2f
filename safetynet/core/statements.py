"""Hot statements without the queryset machinery: reads compiled by Django once per connection and
replayed, and single-row inserts written from the fields' own conversions.

A case step runs a dozen small statements. Through the queryset API, building each one costs
five to ten times running it (bench/bench_cases.py: ~0.3 ms of Python against ~0.03 ms in
SQLite), and the case path is what a town office does all day. The SQL is still Django's own:
`Prepared` compiles the queryset the caller writes, with placeholder values, and only swaps the
values in; `insert_row` uses each field's `pre_save` and `get_db_prep_save`, exactly as
`Model.save` would. They run through `cursor()`: prepared on the server on PostgreSQL, on
sqlite3's own cursor on SQLite (docs/adr/0004). Nothing here decides anything: scope and
permissions stay with the callers.
"""
from __future__ import annotations

import datetime as dt
import functools
import threading
from typing import Any, Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import connection as default_connection
from django.db import models
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

try:
    import psycopg
except ImportError:    # SQLite-only installs
    psycopg = None

_local = threading.local()


class _PreparingCursor(psycopg.Cursor if psycopg else object):
    """A server-binding psycopg cursor that prepares every statement it runs: parsed and planned
    once per connection, then executed with new values. Django binds values into the text on
    the client, so PostgreSQL parses and plans each statement anew; for the case path that was a
    third of the server's work (bench/bench_cases.py)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class _SQLiteStatementCursor:
    """sqlite3's own cursor on Django's connection, for statements written here: their `%s`
    placeholders are turned into `?` once per text (Django's cursor does it with a regex at every
    execution) and Django's wrapper layers are skipped, errors still raised as Django's. On the
    case path that was a tenth of the time (bench/bench_cases.py)."""

    _qmark: dict[str, str] = {}

    def __init__(self, connection):
        self.db = connection
        self.cursor = connection.connection.cursor()

    def _query(self, sql: str) -> str:
        query = self._qmark.get(sql)
        if query is None:
            query = self._qmark[sql] = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
        return query

    def execute(self, sql, params=()):
        with self.db.wrap_database_errors:
            return self.cursor.execute(self._query(sql), params)

    def executemany(self, sql, param_list):
        with self.db.wrap_database_errors:
            return self.cursor.executemany(self._query(sql), param_list)

    def fetchone(self):
        return self.cursor.fetchone()

    def fetchall(self):
        return self.cursor.fetchall()

    @property
    def rowcount(self):
        return self.cursor.rowcount

    @property
    def lastrowid(self):
        return self.cursor.lastrowid

    def close(self):
        self.cursor.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cursor.close()


def cursor(connection=None):
    """A cursor for the statements in these modules (texts compiled once, run many times):
    - PostgreSQL with settings.PREPARED_STATEMENTS (off behind a transaction-mode pooler such as
      PgBouncer, which cannot keep prepared statements): a `_PreparingCursor` on Django's
      connection, in Django's wrapper, so each statement is parsed and planned once;
    - SQLite: a `_SQLiteStatementCursor`;
    - otherwise, and while Django logs queries (DEBUG, or a test capturing them, so the log shows
      each statement whole, with its values): Django's own cursor.
    Transactions are Django's in every case: these cursors run on its connection."""
    connection = connection if connection is not None else connections[DEFAULT_DB_ALIAS]
    if connection.queries_logged:
        return connection.cursor()
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.validate_thread_sharing()
        return _SQLiteStatementCursor(connection)
    if not _prepares(connection):
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:        # Django turns psycopg's automatic preparing off;
        raw.prepare_threshold = 1_000_000    # this cursor asks for it explicitly (ClientCursor never prepares)
    return connection._prepare_cursor(_PreparingCursor(raw))


class _Slot:
    """A placeholder argument: an int or a text that cannot occur in real data."""

    def __init__(self, index: int, example: Any):
        self.index = index
        self.value: Any = (-7_300_000_000 - index) if isinstance(example, int) else f"\x01slot{index}\x01"


def _valid(value) -> bool:
    return value is not None and isinstance(value, (int, str)) and not isinstance(value, bool)


def _in_as_any(sql: str, arrays: list[bool]) -> str:
    """`sql` with each `IN (%s)` whose placeholder is marked in `arrays` (one mark for each
    placeholder, in order) written `= ANY(%s)`."""
    pieces = sql.split("%s")
    if len(pieces) != len(arrays) + 1:
        raise ValueError(f"Cannot place the parameters of {sql!r}")
    for n, is_array in enumerate(arrays):
        if is_array:
            if not (pieces[n].endswith(" IN (") and pieces[n + 1].startswith(")")):
                raise ValueError(f"A list argument must be an `__in` lookup: {sql!r}")
            pieces[n] = pieces[n][:-len(" IN (")] + " = ANY("
    return "%s".join(pieces)


class Prepared:
    """A read written as a queryset once and replayed: `Prepared(lambda case_id: Report.objects.filter(
    case_id=case_id).values_list("id", "findings")[:1])`, then `.rows(42)`, `.first(42)`, or
    `.objects(42)` for model instances. Arguments are ints or texts used in exact or prefix
    (`startswith`) lookups, or non-empty lists of them for `__in` lookups (on PostgreSQL sent as
    one array, `= ANY(%s)`; elsewhere compiled once per list length, since the length is part
    of the SQL)."""

    def __init__(self, build: Callable[..., models.QuerySet]):
        self.build = build
        self.key = id(self)

    def _compiled(self, args: tuple):
        cache = _local.__dict__.setdefault("prepared", {})
        vendor = default_connection.vendor
        # On PostgreSQL a list goes as one array, `= ANY(%s)`: one text for every length, and
        # psycopg converts a text once only while it has at most 50 parameters.
        arrays = vendor == "postgresql"
        shape = tuple(("list" if arrays else len(a)) if isinstance(a, list) else type(a) for a in args)
        key = (self.key, vendor, shape)
        if key not in cache:
            compiled_args = tuple(a[:1] if arrays and isinstance(a, list) else a for a in args)
            flat = [(i, j, value) for i, a in enumerate(compiled_args)
                    for j, value in (enumerate(a) if isinstance(a, list) else [(None, a)])]
            slots = [_Slot(n, value) for n, (_i, _j, value) in enumerate(flat)]
            where = {n: (i, j) for n, (i, j, _value) in enumerate(flat)}
            built = [[] if isinstance(a, list) else None for a in compiled_args]
            for slot, (i, j, _value) in zip(slots, flat):
                if j is None:
                    built[i] = slot.value
                else:
                    built[i].append(slot.value)
            queryset = self.build(*built)
            compiler = queryset.query.get_compiler(connection=default_connection)
            sql, params = compiler.as_sql()
            plan = []
            for param in params:
                match = next((s for s in slots if param == s.value), None)
                if match is not None:
                    i, j = where[match.index]
                    plan.append(("array", (i, None), None) if arrays and j is not None else ("slot", (i, j), None))
                elif isinstance(param, str) and "\x01slot" in param:
                    slot = next(s for s in slots if isinstance(s.value, str) and s.value in param)
                    plan.append(("text", where[slot.index], param.replace(slot.value, "{}", 1)))
                else:
                    plan.append(("constant", None, param))
            used = {place for kind, place, _t in plan if kind != "constant"} | {
                (place[0], 0) for kind, place, _t in plan if kind == "array"}
            unused = [place for place in where.values() if place not in used]
            if unused:   # a value the SQL would silently ignore: refuse rather than return wrong rows
                raise ValueError(f"Prepared query does not use its argument(s) {sorted(unused, key=str)}")
            if any(kind == "array" for kind, _place, _t in plan):
                sql = _in_as_any(sql, [kind == "array" for kind, _place, _t in plan])
            columns = [col for col, _sql, _alias in compiler.select]
            converters = compiler.get_converters(columns)
            attnames = [getattr(col, "target", None) and col.target.attname for col in columns]
            cache[key] = (sql, plan, converters, compiler, attnames, queryset.model)
        return cache[key]

    def rows(self, *args) -> list[tuple]:
        for a in args:
            if isinstance(a, list):
                if not a or not all(_valid(v) for v in a):
                    raise ValueError(f"Prepared queries take non-empty lists of ints and texts, not {a!r}")
            elif not _valid(a):
                # `= NULL` matches nothing where the queryset would have written IS NULL.
                raise ValueError(f"Prepared queries take ints and texts, not {args!r}")
        sql, plan, converters, compiler, _attnames, _model = self._compiled(args)
        params = []
        for kind, place, template in plan:
            if kind == "constant":
                params.append(template)
                continue
            i, j = place
            if kind == "array":
                params.append(args[i])
                continue
            value = args[i] if j is None else args[i][j]
            params.append(value if kind == "slot" else template.format(value))
        with cursor() as db:
            db.execute(sql, params)
            rows = db.fetchall()
        if converters and rows:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def first(self, *args) -> tuple | None:
        rows = self.rows(*args)
        return rows[0] if rows else None

    def objects(self, *args) -> list[models.Model]:
        """Model instances (the queryset must select a model's own columns, no `values()`)."""
        _sql, _plan, _converters, _compiler, attnames, model = self._compiled(args)
        return [model.from_db(DEFAULT_DB_ALIAS, attnames, row) for row in self.rows(*args)]


# Field classes whose conversion to the database leaves a value of the matching Python type as it
# is, on every backend Django ships: a value already of that type skips the conversion chain
# (to_python, get_prep_value, get_db_prep_value), which is most of the cost of building a row.
_PASS_THROUGH: dict[type, type] = {}
for _field_class, _python_type in ((models.CharField, str), (models.TextField, str), (models.IntegerField, int),
                                   (models.BigIntegerField, int), (models.PositiveIntegerField, int),
                                   (models.PositiveSmallIntegerField, int), (models.SmallIntegerField, int),
                                   (models.AutoField, int), (models.BigAutoField, int), (models.SmallAutoField, int),
                                   (models.BooleanField, bool)):
    _PASS_THROUGH[_field_class] = _python_type


def _pass_through_type(field: models.Field, vendor: str, connection) -> tuple[type, type | None, bool] | None:
    """(the Python type `field` stores as it is, or wraps in one fixed type; that wrapper or None;
    whether only timezone-aware values pass), or None when values of the field convert (decimals,
    JSON, UUIDs...). On PostgreSQL Django wraps an int in the column's sized integer type for
    psycopg (Int4, Int8...), except for auto keys: which wrapper, if any, is read off Django's own
    conversion of a sample. Dates and aware datetimes go to psycopg as they are on PostgreSQL (on
    SQLite they become text): that too is read off a sample."""
    if field.is_relation and not field.many_to_one:
        return None
    target = field.target_field if field.is_relation else field
    if isinstance(target, (models.DateField, models.DateTimeField)) and not isinstance(target, models.TimeField):
        aware = isinstance(target, models.DateTimeField)
        sample = (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) if aware else dt.date(2026, 1, 1))
        if field.get_db_prep_save(sample, connection or default_connection) is sample:
            return (type(sample), None, aware)
        return None
    kind = _PASS_THROUGH.get(type(target))
    if kind is None:
        return None
    if kind is int and vendor == "postgresql":
        sample = field.get_db_prep_save(1, connection or default_connection)
        if not isinstance(sample, int) or isinstance(sample, bool) or sample != 1:
            return None
        return (int, None if type(sample) is int else type(sample), False)
    return (kind, None, False)


_pass_through_cache: dict[tuple[models.Field, str], tuple | None] = {}


def db_value(field: models.Field, value, connection=None):
    """`field.get_db_prep_save(value)`, short-cut for None and for values that field stores as
    they are (a str for a CharField, an int for an IntegerField or a foreign key to one, a date
    or an aware datetime on PostgreSQL), or wrapped as Django would (an int in psycopg's Int4 for
    an integer column on PostgreSQL)."""
    if value is None:
        return None
    key = (field, connection.vendor if connection is not None else _default_vendor())
    try:
        kind = _pass_through_cache[key]
    except KeyError:
        kind = _pass_through_cache[key] = _pass_through_type(field, key[1], connection)
    if kind is not None and type(value) is kind[0] and not (kind[2] and value.tzinfo is None):
        return value if kind[1] is None else kind[1](value)
    return field.get_db_prep_save(value, connection or default_connection)


@functools.cache
def _default_vendor() -> str:
    """The default database's vendor, looked up once (through Django's connection proxy it costs
    a thread-local lookup each time, and db_value runs for every column of every row written)."""
    return default_connection.vendor


# ---- reading for many keys at once -------------------------------------------------------------
# A step for a hundred cases reads the same few kinds of rows for each: it reads them for all
# its cases at once and hands each case its own. These return what they read, by key.

def rows_by_key(prepared_in: Prepared, keys, *, args: tuple = ()) -> dict:
    """Run `prepared_in` (a Prepared read filtered by `__in` on a list of keys, the key its first
    column) for all `keys`, a few hundred at a time: {key: its rows, less that column}, every
    key present (an empty list when it has no rows). `args` go before the list."""
    return _by_key(keys, lambda chunk: [(row[0], row[1:]) for row in prepared_in.rows(*args, chunk)])


def objects_by_key(prepared_in: Prepared, keys, key_attr: str = "pk") -> dict:
    """`rows_by_key` for model instances: {key: its objects (by `key_attr`), in the read's order}."""
    return _by_key(keys, lambda chunk: [(getattr(o, key_attr), o) for o in prepared_in.objects(chunk)])


def _by_key(keys, fetch) -> dict:
    keys = sorted({key for key in keys if _valid(key)})
    found: dict = {key: [] for key in keys}
    for start in range(0, len(keys), 512):
        for key, item in fetch(_padded(keys[start:start + 512])):
            found[key].append(item)
    return found


def _padded(keys: list) -> list:
    """The keys, the last repeated up to a power of two: a Prepared read is compiled once per
    list length, so batches of every size share a few texts (a repeated key matches nothing more)."""
    size = 1 << (len(keys) - 1).bit_length()
    return keys + [keys[-1]] * (size - len(keys))


def _prepares(connection) -> bool:
    return (connection.vendor == "postgresql" and settings.PREPARED_STATEMENTS and not connection.queries_logged)


def sends_ahead(connection) -> bool:
    """Whether writes can be sent to `connection` in pipeline mode without waiting for each
    answer (core/unitofwork.py): PostgreSQL with prepared statements, and not while Django logs
    queries (the log shows each statement as it runs)."""
    return _prepares(connection) and psycopg.Pipeline.is_supported()


def _insert_sql(model: type[models.Model]) -> tuple[str, list[models.Field], bool]:
    cache = _local.__dict__.setdefault("inserts", {})
    key = (model, default_connection.vendor)
    if key not in cache:
        quote = default_connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.primary_key or not isinstance(f, models.AutoField)]
        fields = [f for f in fields if not isinstance(f, models.AutoField)]
        returning = default_connection.features.can_return_columns_from_insert
        sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})"
               + (f" RETURNING {quote(model._meta.pk.column)}" if returning else ""))
        cache[key] = (sql, fields, returning)
    return cache[key]


def row_values(instance: models.Model, fields, connection=None) -> list:
    """The database values of `instance`'s `fields`, as `Model.save` would write them (each
    field's `pre_save`, then its conversion)."""
    return [db_value(f, f.pre_save(instance, True), connection) for f in fields]


def insert_many(table: str, columns, rows, connection=None) -> None:
    """Many rows of database values into `table`: COPY on PostgreSQL, one `executemany` of a
    single-row INSERT elsewhere. One short text either way: psycopg parses a statement's text
    for its placeholders, and a long multi-row INSERT anew at every call. The bulk writers (the
    demo county, verification results, units of work) all write through here."""
    if not rows:
        return
    connection = connection if connection is not None else connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.wrap_database_errors, connection.connection.cursor() as raw:
            with raw.copy(_copy_sql(table, tuple(columns), connection.ops.quote_name)) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    with cursor(connection) as db:
        db.executemany(insert_values_sql(connection, table, columns), rows)


def insert_values_sql(connection, table: str, columns) -> str:
    """`INSERT INTO table (columns) VALUES (%s, ...)`, written once per table and columns."""
    return _insert_values_sql(table, tuple(columns), connection.ops.quote_name)


@functools.lru_cache(maxsize=512)
def _insert_values_sql(table: str, columns: tuple[str, ...], quote) -> str:
    return f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"


@functools.lru_cache(maxsize=512)
def _copy_sql(table: str, columns: tuple[str, ...], quote) -> str:
    return f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


def insert_row(instance: models.Model) -> models.Model:
    """INSERT `instance` (an unsaved model with an auto primary key) and set its pk. Runs the
    fields' `pre_save` (auto_now_add and the like) but no signals: for tables nothing listens to.
    A case step queues its rows in its unit of work instead (`UnitOfWork.insert`)."""
    sql, fields, returning = _insert_sql(type(instance))
    params = row_values(instance, fields)
    with cursor() as db:
        db.execute(sql, params)
        instance.pk = db.fetchone()[0] if returning else db.lastrowid
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    return instance


def _update_sql(model: type[models.Model], set_fields: tuple[str, ...], where_fields: tuple[str, ...], connection):
    cache = _local.__dict__.setdefault("updates", {})
    key = (model, connection.vendor, set_fields, where_fields)
    if key not in cache:
        quote = connection.ops.quote_name
        sets = [model._meta.get_field(name) for name in set_fields]
        wheres = [model._meta.get_field(name) for name in where_fields]
        sql = (f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in sets)} "
               f"WHERE {' AND '.join(f'{quote(f.column)} = %s' for f in wheres)}")
        cache[key] = (sql, sets, wheres)
    return cache[key]


def update_statement(model: type[models.Model], values: dict, where: dict, connection=None) -> tuple[str, list, int]:
    """(sql, params, how many of the params are values set) for `update_where`, and for the unit
    of work's (core/unitofwork.py): one way to write the statement."""
    if not values or not where or any(v is None for v in where.values()):
        raise ValueError(f"update_where needs values and non-null conditions, not {values!r} / {where!r}")
    connection = connection if connection is not None else default_connection
    sql, sets, wheres = _update_sql(model, tuple(values), tuple(where), connection)
    params = [db_value(f, values[f.name], connection) for f in sets]
    params += [f.get_db_prep_value(where[f.name], connection, prepared=False) for f in wheres]
    return sql, params, len(sets)


def update_where(model: type[models.Model], values: dict, **where) -> int:
    """UPDATE `model` SET `values` WHERE each of `where` equals its value (no None: `= NULL`
    matches nothing); returns the rows updated. Values are converted by their fields, as the
    queryset's `update` would; no signals, no `auto_now`."""
    sql, params, _n = update_statement(model, values, where)
    with cursor() as db:
        db.execute(sql, params)
        return db.rowcount
