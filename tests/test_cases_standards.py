"""`standards.jsonable`: what a decision stores, built without JSON text, must be exactly what the
round trip through JSON text gives."""
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from safetynet.cases import standards
from safetynet.cases.models import Status
from safetynet.programs.facts import Phrase


def round_trip(value):
    return json.loads(json.dumps(value, cls=standards._Encoder, ensure_ascii=False))


@dataclass(frozen=True)
class Limits:
    standard: Decimal
    since: dt.date


leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.dates(), st.datetimes(timezones=st.just(dt.timezone.utc)),
    st.builds(lambda s: Phrase("Per-capita income %(amount)s", {"amount": s}), st.text(max_size=4)),
    st.builds(Limits, st.decimals(allow_nan=False, allow_infinity=False, places=2), st.dates()),
    st.sampled_from(list(Status)),
)
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(st.text(max_size=6), inner, max_size=4),
    st.dictionaries(st.integers(), inner, max_size=2)), max_leaves=20)


@given(values)
def test_jsonable_is_the_json_round_trip(value):
    assert standards.jsonable(value) == round_trip(value)


def test_jsonable_of_an_assessment_is_the_round_trip_and_plain_json():
    from safetynet.programs.facts import BreakdownLine, Outcome

    outcome = Outcome(eligible=True, monthly_amount=Decimal("4074.00"),
                      breakdown=(BreakdownLine(Phrase("Dibao standard"), Decimal("2500.00"), Phrase("Art. 23"), "§1"),),
                      details={"standard": Decimal("2500.00"), "members": 2, "since": dt.date(2026, 3, 1)})
    stored = standards.jsonable({"outcome": outcome.as_dict(), "parameters": Limits(Decimal("2500"), dt.date(2026, 1, 1))})
    assert stored == round_trip({"outcome": outcome.as_dict(), "parameters": Limits(Decimal("2500"), dt.date(2026, 1, 1))})
    assert json.loads(json.dumps(stored)) == stored
