"""Registry selectors: search by name, ID number and address, always within scope, on indexes."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from safetynet.core.errors import NotFound, PermissionDenied
from safetynet.core.idnumbers import make_id_number
from safetynet.registry import selectors
from safetynet.registry.services import add_member
from tests.conftest import OTHER_TOWN, TOWN
from tests.registry_helpers import head, make_household, new_id


@pytest.fixture
def households(worker, make_actor, village, other_village):
    mine = make_household(worker, village.code, address="正定镇常山路12号", members=[head("张建国")])
    add_member(actor=worker, household_id=mine.pk, name="张建华", id_number=new_id(sex="female"), relation_to_head="spouse")
    second = make_household(worker, village.code, address="燕赵大街1号", members=[head("李建国")])
    theirs = make_household(make_actor("town_worker", OTHER_TOWN), other_village.code, address="新城铺常山路1号", members=[head("张建军")])
    return mine, second, theirs


def ids(qs):
    return [h.pk for h in qs]


def test_name_exact_and_prefix_within_scope(worker, households):
    mine, second, theirs = households
    assert ids(selectors.search_households(worker, "张建国")) == [mine.pk]
    assert ids(selectors.search_households(worker, "张建")) == [mine.pk]  # two members match: one household
    assert ids(selectors.search_households(worker, "李")) == [second.pk]
    assert theirs.pk not in ids(selectors.search_households(worker, "张"))


def test_id_number_exact_prefix_and_legacy(worker, households, village):
    mine, second, _theirs = households
    number = mine.head.id_number
    assert ids(selectors.search_households(worker, number)) == [mine.pk]
    assert mine.pk in ids(selectors.search_households(worker, number[:12]))
    assert mine.pk in ids(selectors.search_households(worker, number[:6]))
    assert ids(selectors.search_households(worker, number[:12] + "9999")) == []
    legacy = "130123500101123"
    person = add_member(actor=worker, household_id=second.pk, name="老人", id_number=legacy, relation_to_head="parent")
    assert ids(selectors.search_households(worker, legacy)) == [second.pk]
    assert ids(selectors.search_households(worker, person.id_number[:-1] + person.id_number[-1].lower())) == [second.pk]


def test_id_number_outside_scope_not_found(worker, households):
    _mine, _second, theirs = households
    assert ids(selectors.search_households(worker, theirs.head.id_number)) == []


def test_address_is_a_separate_search(worker, households):
    """Part of an address is searched only when asked for, so a name search never scans."""
    mine, second, theirs = households
    assert ids(selectors.search_households(worker, address="常山路")) == [mine.pk]
    assert ids(selectors.search_households(worker, address="燕赵")) == [second.pk]
    assert ids(selectors.search_households(worker, "常山路")) == []  # q is a name or an ID number
    assert ids(selectors.search_households(worker, "王", address="燕赵")) in ([], [second.pk])


def test_area_filter(worker, households, village, other_village):
    mine, second, _ = households
    assert ids(selectors.search_households(worker, "", area_code=village.code)) == [mine.pk, second.pk]
    with pytest.raises(NotFound):
        selectors.search_households(worker, "", area_code=other_village.code)


def test_get_household_scope_and_role(worker, make_actor, households):
    mine, _second, theirs = households
    assert selectors.get_household(worker, mine.pk) == mine
    with pytest.raises(NotFound):
        selectors.get_household(worker, theirs.pk)
    with pytest.raises(NotFound):
        selectors.get_person(worker, theirs.head_id)
    with pytest.raises(PermissionDenied):
        selectors.households_in_scope(make_actor("institution", TOWN))
    # A provider's worker reads households, but only those of the work assigned to it: none here.
    assert not selectors.households_in_scope(make_actor("provider_worker", TOWN)).exists()


def test_person_display_id(worker, make_actor, households):
    person = households[0].head
    assert selectors.person_display_id(worker, person) == person.id_number
    masked = selectors.person_display_id(make_actor("grid_worker", TOWN), person)
    assert masked != person.id_number and masked.endswith(person.id_number[-4:])


def test_page_knows_next_without_counting(worker, village):
    for n in range(5):
        make_household(worker, village.code, address=f"排队路{n}号")
    first = selectors.household_page(worker, page=1, page_size=2)
    assert first.has_next and not first.has_previous and len(first.rows) == 2
    assert first.rows[0].member_count == 1 and first.rows[0].head_name
    last = selectors.household_page(worker, page=3, page_size=2)
    assert not last.has_next and len(last.rows) == 1


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite query plans")
def test_searches_use_indexes(worker, households):
    """The list page asks for ids first; each path must be an index range, never a table scan
    of persons (and, for ID and one-character name searches, no scan of households either)."""
    def plan(q):
        return _plan(selectors.search_households(worker, q).values_list("id", flat=True)[:26])

    id_plan = plan("1301231970")
    assert "COVERING INDEX person_idnum_area_household" in id_plan and "SCAN" not in id_plan, id_plan
    name_plan = plan("张")
    assert "COVERING INDEX person_name_area_household" in name_plan and "SCAN" not in name_plan, name_plan
    full_name_plan = plan("张建国")
    assert "COVERING INDEX person_name_area_household" in full_name_plan and "SCAN" not in full_name_plan, full_name_plan
    address_plan = _plan(selectors.search_households(worker, address="常山").values_list("id", flat=True)[:26])
    assert "COVERING INDEX household_area_address" in address_plan and "SCAN registry_household" not in address_plan, address_plan


def test_birth_dates_from_helpers_are_valid():
    assert make_id_number("130123", dt.date(1970, 1, 1), 1, "male")
