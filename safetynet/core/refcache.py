"""In-process caches of reference data (standards, the area tree) that every case step reads.

Resolving a dibao standard costs two queries and a few hundred Python objects; a case path does
it three times, every step of every case in every worker. The data changes a few times a year.
So each process keeps what it resolved, keyed by the data's current `ReferenceVersion` token,
read with one primary-key lookup per use: a write anywhere (any process, any server) replaces
the token and every process recomputes from then on. See `core.models.ReferenceVersion` for why
a random token is safe across rollbacks.

Writers call `bump(name)` inside their transaction; `watch(model, name)` connects Django's
`post_save` and `post_delete` signals so that every ORM save and delete of a watched model bumps
too, and a write that forgets still counts. The app owning each model watches it from its
`AppConfig.ready` (`areas.Area`, `programs.Parameter`): core imports nothing of the project.
"""
from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

from django.db import connection
from django.db.models import signals

from .models import ReferenceVersion
from .statements import cursor as statement_cursor

T = TypeVar("T")
MAX_ENTRIES = 4096
PARAMETERS = "parameters"
AREAS = "areas"

_caches: dict[str, OrderedDict] = {}


# Per thread, like Django's connections: (the transaction's marker, {name: token read in it}, {names read}).
_local = threading.local()


def _transaction_marker():
    """An object that is the same for the whole of the current transaction and never again:
    Django replaces `run_on_commit` with a new list when a transaction commits or rolls back
    (and when a savepoint rolls back). Holding it in the memo keeps it alive, so a later list
    cannot reuse its identity. None outside a transaction."""
    return connection.run_on_commit if connection.in_atomic_block else None


def current_tokens(names: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens of `names` ("" for data never written since the database was made). Inside a
    transaction each token is read once, with its first use: a case step resolves standards
    and areas several times, and one read per step sees the same data (as of the step's start).
    A name first asked for later in the transaction (an app's own name, such as medical's) is
    read then and remembered with the others, never answered "" unread."""
    marker = _transaction_marker()
    memo = getattr(_local, "memo", None)
    if marker is not None and memo is not None and memo[0] is marker:
        missing = tuple(name for name in dict.fromkeys(names) if name not in memo[2])
        if not missing:
            return tuple(memo[1].get(name, "") for name in names)
        memo[1].update(_read_tokens(missing))
        memo[2].update(missing)
        return tuple(memo[1].get(name, "") for name in names)
    wanted = tuple(dict.fromkeys((PARAMETERS, AREAS, *names))) if marker is not None else tuple(dict.fromkeys(names))
    found = _read_tokens(wanted)
    if marker is not None:
        _local.memo = (marker, found, set(wanted))
    return tuple(found.get(name, "") for name in names)


def _read_tokens(names: tuple[str, ...]) -> dict[str, str]:
    quote = connection.ops.quote_name
    sql = (f"SELECT {quote('name')}, {quote('token')} FROM {quote(ReferenceVersion._meta.db_table)} "
           f"WHERE {quote('name')} IN ({', '.join(['%s'] * len(names))})")
    with statement_cursor() as cursor:
        cursor.execute(sql, list(names))
        return dict(cursor.fetchall())


def watch(model, name: str) -> None:
    """Bump `name` on every ORM save and delete of `model` (called from its app's `ready()`)."""
    def changed(sender, **kwargs):
        bump(name)

    for signal, verb in ((signals.post_save, "save"), (signals.post_delete, "delete")):
        signal.connect(changed, sender=model, weak=False, dispatch_uid=f"refcache-{model._meta.label}-{verb}")


def bump(name: str) -> None:
    """Mark `name`'s data as changed (in the caller's transaction)."""
    _local.memo = None
    ReferenceVersion.objects.update_or_create(name=name, defaults={"token": uuid.uuid4().hex})


def cached(names: tuple[str, ...], key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, remembered under `key` for as long as the tokens of `names` stay the same.
    The tokens are read before computing, so a write committed meanwhile is never hidden."""
    assert 1 <= len(names) <= 2, names
    tokens = current_tokens(names)
    cache = _caches.setdefault(names, OrderedDict())
    entry = cache.get(key)
    if entry is not None and entry[0] == tokens:
        cache.move_to_end(key)
        return entry[1]
    value = compute()
    if value is None:               # a miss is not remembered: the row may be added without a signal
        return value
    cache[key] = (tokens, value)
    if len(cache) > MAX_ENTRIES:
        cache.popitem(last=False)
    return value


def known(names: tuple[str, ...], key: Hashable) -> bool:
    """Whether a value is remembered under `key` for the current tokens of `names`."""
    entry = _caches.get(names, {}).get(key)
    return entry is not None and entry[0] == current_tokens(names)


def remember(names: tuple[str, ...], values: dict) -> None:
    """Remember many computed values at once (`cached`, filled ahead of use); None is skipped."""
    tokens = current_tokens(names)
    cache = _caches.setdefault(names, OrderedDict())
    for key, value in values.items():
        if value is not None:
            cache[key] = (tokens, value)
            cache.move_to_end(key)
    while len(cache) > MAX_ENTRIES:
        cache.popitem(last=False)


def clear() -> None:
    _local.memo = None
    _caches.clear()
