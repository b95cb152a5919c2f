"""Working days across official holidays and make-up days (DESIGN.md §4 Time limits)."""
import datetime as dt

import pytest

from safetynet.core import workdays
from safetynet.core.errors import PermissionDenied, ValidationError
from safetynet.core.services import remove_calendar_day, set_calendar_day

D = dt.date


@pytest.fixture(autouse=True)
def fresh_cache():
    workdays.clear_cache()
    yield
    workdays.clear_cache()


def test_seeded_from_the_package(db):
    # National Day 2025: 1–8 October off; Sunday 28 September and Saturday 11 October worked.
    assert not workdays.is_working_day(D(2025, 10, 1))
    assert not workdays.is_working_day(D(2025, 10, 8))
    assert workdays.is_working_day(D(2025, 9, 28))
    assert workdays.is_working_day(D(2025, 10, 11))


def test_add_working_days_across_national_day(db):
    # Accepted Friday 26 Sep 2025; 3 working days: Sun 28 (make-up), Mon 29, Tue 30.
    assert workdays.add_working_days(D(2025, 9, 26), 3) == D(2025, 9, 30)
    # 4 working days skip the whole holiday to Thursday 9 October.
    assert workdays.add_working_days(D(2025, 9, 26), 4) == D(2025, 10, 9)
    # 10 working days (county confirmation limit) from 30 Sep: Oct 9,10,11(make-up),13..17,20
    assert workdays.add_working_days(D(2025, 9, 30), 10) == D(2025, 10, 21)


def test_spring_festival_2026(db):
    # 2026 Spring Festival: 15–23 Feb off, make-up Saturdays 14 Feb and 28 Feb.
    assert workdays.is_working_day(D(2026, 2, 14))
    assert not workdays.is_working_day(D(2026, 2, 16))
    assert workdays.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert workdays.add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)


def test_working_days_between_and_zero(db):
    assert workdays.working_days_between(D(2025, 9, 26), D(2025, 10, 9)) == 4
    assert workdays.add_working_days(D(2025, 10, 4), 0) == D(2025, 10, 9)
    assert workdays.add_working_days(D(2025, 10, 9), -3) == D(2025, 9, 28)
    assert workdays.add_working_days(D(2025, 10, 9), -4) == D(2025, 9, 26)


def test_years_the_package_does_not_know_are_edited_by_hand(db, make_actor, county):
    officer = make_actor("county_officer", county.code)
    # 2027-01-01 is a Friday: until someone enters it, it counts as a working day.
    assert workdays.is_working_day(D(2027, 1, 1))
    set_calendar_day(actor=officer, date=D(2027, 1, 1), is_working_day=False, name="元旦")
    workdays.clear_cache()
    assert not workdays.is_working_day(D(2027, 1, 1))
    assert workdays.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    remove_calendar_day(actor=officer, date=D(2027, 1, 1))
    workdays.clear_cache()
    assert workdays.is_working_day(D(2027, 1, 1))


def test_calendar_edits_need_the_role(db, make_actor, county):
    with pytest.raises(PermissionDenied):
        set_calendar_day(actor=make_actor("town_worker", "130123100"), date=D(2027, 1, 1), is_working_day=False)


def test_recording_an_ordinary_day_is_refused(db, make_actor, county):
    with pytest.raises(ValidationError) as info:
        set_calendar_day(actor=make_actor("county_officer", county.code), date=D(2027, 1, 4), is_working_day=True)
    assert info.value.field == "is_working_day"


def test_calendar_page(client_for, county):
    client = client_for("county_officer", county.code)
    response = client.post("/calendar/?year=2027", {"date": "2027-02-06", "is_working_day": "1", "name": "春节调休"})
    assert response.status_code == 302
    assert "2027-02-06" in client.get("/calendar/?year=2027").content.decode()
    town = client_for("town_worker", "130123100")
    assert town.post("/calendar/?year=2027", {"date": "2027-02-07", "is_working_day": "1"}).status_code == 403
