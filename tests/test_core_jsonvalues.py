"""`core.jsonvalues`: values built as JSON gives them back must be exactly what the round trip
through JSON text gives, for the encoders that store decisions (cases.standards) and audit
events (Django's)."""
import datetime as dt
import enum
import json
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from hypothesis import given
from hypothesis import strategies as st

from safetynet.cases import standards
from safetynet.cases.models import Status
from safetynet.core.jsonvalues import NotPlain, json_value, round_trip
from safetynet.programs.facts import Phrase


class Grade(enum.IntEnum):
    FIRST = 1
    SECOND = 2


@dataclass(frozen=True)
class Limits:
    standard: Decimal
    since: dt.date


leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.dates(), st.datetimes(timezones=st.just(dt.timezone.utc)),
    st.builds(lambda s: Phrase("Per-capita income %(amount)s", {"amount": s}), st.text(max_size=4)),
    st.builds(Limits, st.decimals(allow_nan=False, allow_infinity=False, places=2), st.dates()),
    st.sampled_from(list(Status)), st.sampled_from(list(Grade)),
)
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(st.text(max_size=6), inner, max_size=4),
    st.dictionaries(st.text(max_size=6), inner, max_size=3).map(OrderedDict),
    st.dictionaries(st.integers(), inner, max_size=2)), max_leaves=20)


@given(values)
def test_decision_values_are_the_json_round_trip(value):
    assert round_trip(value, standards._Encoder) == json.loads(json.dumps(value, cls=standards._Encoder))


@given(values.filter(lambda v: not _has(v, (Phrase, Limits))))      # Django's encoder refuses these
def test_audit_values_are_the_json_round_trip(value):
    assert round_trip(value, DjangoJSONEncoder) == json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _has(value, kinds) -> bool:
    if isinstance(value, kinds):
        return True
    if isinstance(value, dict):
        return any(_has(v, kinds) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has(v, kinds) for v in value)
    return False


def test_what_json_would_change_takes_the_round_trip():
    default = DjangoJSONEncoder().default
    for value in ({3: "x"}, [{"a": {True: 1}}]):
        with pytest.raises(NotPlain):
            json_value(value, default)
    status = json_value({"status": Status.APPLIED}, default)["status"]
    assert status == "applied" and type(status) is str
    assert round_trip({3: "x"}, DjangoJSONEncoder) == {"3": "x"}
    plain = {"items": [1, "a", {"b": [False]}]}
    assert round_trip(plain, DjangoJSONEncoder) == plain and round_trip(plain, DjangoJSONEncoder)["items"] is not plain["items"]
