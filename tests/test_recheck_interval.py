"""The re-check interval (POLICY.md §1 Dynamic management: yearly, or every 6 months for households
with unstable income and members able to work) is one public rule, cases.clocks.recheck_date,
which a confirmation and the closing of a re-check both use."""
import datetime as dt
import inspect

from hypothesis import given
from hypothesis import strategies as st

from safetynet.cases import clocks

D = dt.date


def member(birth, ability="full", deceased=False):
    return {"person_id": 1, "birth_date": birth.isoformat(), "work_ability": ability, "is_deceased": deceased}


def snapshot(members, income):
    return {"members": members, "income": [{"category": c, "monthly_amount": "500.00"} for c in income]}


def test_unstable_income_with_a_member_able_to_work_is_rechecked_every_six_months():
    able = snapshot([member(D(1980, 5, 1))], ["wages"])
    assert clocks.recheck_date("dibao", able, D(2025, 11, 1), D(2025, 10, 20)) == D(2026, 5, 1)
    # no counted income despite the ability to work is unstable too
    assert clocks.recheck_date("dibao", snapshot([member(D(1980, 5, 1))], []), D(2025, 11, 1), D(2025, 10, 20)) == D(2026, 5, 1)


def test_stable_households_and_special_hardship_are_rechecked_yearly():
    pension = snapshot([member(D(1980, 5, 1))], ["pension"])
    assert clocks.recheck_date("dibao", pension, D(2025, 11, 1), D(2025, 10, 20)) == D(2026, 11, 1)
    unable = snapshot([member(D(1980, 5, 1), ability="none")], ["wages"])
    assert clocks.recheck_date("dibao", unable, D(2025, 11, 1), D(2025, 10, 20)) == D(2026, 11, 1)
    elder = snapshot([member(D(1960, 5, 1))], ["wages"])            # 65: not of working age
    assert clocks.recheck_date("dibao", elder, D(2025, 11, 1), D(2025, 10, 20)) == D(2026, 11, 1)
    dead = snapshot([member(D(1980, 5, 1), deceased=True)], ["wages"])
    assert clocks.recheck_date("dibao", dead, D(2025, 11, 1), D(2025, 10, 20)) == D(2026, 11, 1)
    able = snapshot([member(D(1980, 5, 1))], ["wages"])
    assert clocks.recheck_date("special_hardship", able, D(2025, 11, 1), D(2025, 10, 20)) == D(2026, 11, 1)


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)), st.sampled_from(["wages", "pension"]))
def test_the_next_recheck_falls_six_or_twelve_months_later_on_the_same_day_or_the_months_last(start, income):
    on = start
    due = clocks.recheck_date("dibao", snapshot([member(D(1990, 1, 1))], [income]), start, on)
    months = (due.year - start.year) * 12 + due.month - start.month
    assert months == clocks.recheck_months("dibao", snapshot([member(D(1990, 1, 1))], [income]), on)
    assert months in (6, 12) and (due.day == start.day or (due.day < start.day and (due + dt.timedelta(days=1)).day == 1))


def test_payments_sets_the_next_recheck_by_the_same_public_rule():
    from types import SimpleNamespace

    from safetynet.enrollments import rechecks

    able = snapshot([member(D(1980, 5, 1))], ["wages"])
    enrollment = SimpleNamespace(program_id="dibao")
    assert rechecks.next_recheck_date(enrollment, able, D(2025, 10, 20)) == clocks.recheck_date("dibao", able, D(2025, 11, 1),
                                                                                               D(2025, 10, 20))
    assert "cases.services" not in inspect.getsource(rechecks)       # no reach into another app's private helpers
