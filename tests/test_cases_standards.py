"""`standards.jsonable`: what a decision stores, built without JSON text (core/jsonvalues.py, whose
tests cover every kind of value), must be exactly what the round trip through JSON text gives."""
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from safetynet.cases import standards
from safetynet.programs.facts import Phrase


def round_trip(value):
    return json.loads(json.dumps(value, cls=standards._Encoder, ensure_ascii=False))


@dataclass(frozen=True)
class Limits:
    standard: Decimal
    since: dt.date


def test_jsonable_of_an_assessment_is_the_round_trip_and_plain_json():
    from safetynet.programs.facts import BreakdownLine, Outcome

    outcome = Outcome(eligible=True, monthly_amount=Decimal("4074.00"),
                      breakdown=(BreakdownLine(Phrase("Dibao standard"), Decimal("2500.00"), Phrase("Art. 23"), "§1"),),
                      details={"standard": Decimal("2500.00"), "members": 2, "since": dt.date(2026, 3, 1)})
    stored = standards.jsonable({"outcome": outcome.as_dict(), "parameters": Limits(Decimal("2500"), dt.date(2026, 1, 1))})
    assert stored == round_trip({"outcome": outcome.as_dict(), "parameters": Limits(Decimal("2500"), dt.date(2026, 1, 1))})
    assert json.loads(json.dumps(stored)) == stored


def test_a_breakdown_is_given_in_the_language_asked_for_and_remembered_per_language():
    from django.utils import translation

    from safetynet.programs.facts import BreakdownLine
    from safetynet.programs.rules import RURAL

    line = BreakdownLine(Phrase(RURAL), Decimal("1.00"), Phrase(RURAL), "§1")
    with translation.override("zh-hans"):
        chinese = line.as_dict()["item"]
        assert chinese != "rural" and line.as_dict("en")["item"] == "rural"     # not the active language's text
        assert line.as_dict()["item"] == chinese
    with translation.override("en"):
        assert line.as_dict()["item"] == "rural" and line.as_dict("zh-hans")["item"] == chinese
