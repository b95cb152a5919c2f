"""Registry services: success, denial (wrong role 403, wrong area 404) and every bad input."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.core.idnumbers import check_character
from safetynet.core.models import AuditEvent
from safetynet.registry import services
from safetynet.registry.models import Household, Kinship, Person
from tests.conftest import OTHER_TOWN, TOWN
from tests.registry_helpers import head, make_household, new_id


@pytest.fixture
def household(worker, village):
    return make_household(worker, village.code)


def member(**extra):
    return {"name": "李四", "id_number": new_id(sex="female"), "relation_to_head": "spouse", **extra}


# --- households ---------------------------------------------------------------------------

def test_create_household_with_head_and_members(worker, village):
    h = make_household(worker, village.code, members=[head("王五"), member(name="赵六")], phone="13800000000")
    assert h.head.name == "王五"
    assert h.members.count() == 2
    assert set(h.members.values_list("area_id", flat=True)) == {village.code}
    event = AuditEvent.objects.filter(action="registry.create_household").get()
    assert event.object_id == str(h.pk)
    assert "*" in event.after["members"][0]["id_number"]  # the ledger keeps numbers masked


def test_create_household_derives_sex_and_birth_date(worker, village):
    number = new_id(birth=dt.date(1950, 3, 4), sex="female")  # new_id may move the date on: read it back
    h = make_household(worker, village.code, members=[head(id_number=number)])
    assert (h.head.sex, h.head.birth_date) == ("female", dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])))


def test_create_household_requires_edit_role(make_actor, village):
    grid = make_actor("grid_worker", TOWN)
    with pytest.raises(PermissionDenied):
        make_household(grid, village.code)
    assert not Household.objects.exists()


def test_create_household_outside_scope_is_404(worker, other_village):
    with pytest.raises(NotFound):
        make_household(worker, other_village.code)


def test_create_household_at_a_town_is_refused(worker):
    with pytest.raises(ValidationError) as err:
        make_household(worker, TOWN)
    assert err.value.field == "area_code"


@pytest.mark.parametrize("bad, field", [
    ({"address": ""}, "address"),
    ({"registration_type": "nomad"}, "registration_type"),
    ({"bank_account": "62-22"}, "bank_account"),
    ({"phone": "call me"}, "phone"),
])
def test_create_household_bad_fields(worker, village, bad, field):
    args = {"address": "x路1号", "registration_type": "urban", **bad}
    with pytest.raises(ValidationError) as err:
        services.create_household(actor=worker, area_code=village.code, members=[head()], **args)
    assert err.value.field == field


def test_members_need_exactly_one_head(worker, village):
    with pytest.raises(ValidationError) as err:
        make_household(worker, village.code, members=[member()])
    assert err.value.field == "members"
    with pytest.raises(ValidationError) as err:
        make_household(worker, village.code, members=[head(), head("另一个户主")])
    assert err.value.field == "members.1.relation_to_head"


def test_member_errors_name_their_index(worker, village):
    with pytest.raises(ValidationError) as err:
        make_household(worker, village.code, members=[head(), member(id_number="130123197001011234")])
    assert err.value.field == "members.1.id_number"
    assert not Household.objects.exists()


def test_update_household_moves_members_area(worker, household, county):
    from safetynet.areas.models import Area

    target = Area.objects.filter(parent_id=TOWN, level="village").order_by("code")[1]
    services.add_member(actor=worker, household_id=household.pk, **member())
    services.update_household(actor=worker, household_id=household.pk, area_code=target.code, address="新地址")
    household.refresh_from_db()
    assert household.area_id == target.code and household.address == "新地址"
    assert set(Person.objects.filter(household=household).values_list("area_id", flat=True)) == {target.code}
    assert AuditEvent.objects.filter(action="registry.update_household").exists()


def test_update_household_cannot_move_out_of_scope(worker, household, other_village):
    with pytest.raises(NotFound):
        services.update_household(actor=worker, household_id=household.pk, area_code=other_village.code)


def test_update_household_of_other_town_is_404(make_actor, household):
    other = make_actor("town_worker", OTHER_TOWN)
    with pytest.raises(NotFound):
        services.update_household(actor=other, household_id=household.pk, address="x")


# --- members ------------------------------------------------------------------------------

def test_add_member(worker, household):
    person = services.add_member(actor=worker, household_id=household.pk, **member(disability_type="physical", disability_grade=2))
    assert person.area_id == household.area_id and person.disability_grade == 2
    assert AuditEvent.objects.filter(action="registry.add_member", object_id=str(person.pk)).exists()


def test_add_member_converts_15_digit_number(worker, household):
    # 15-digit legacy: 6 area + YYMMDD + 3 sequence
    person = services.add_member(actor=worker, household_id=household.pk, name="老人", id_number="130123500101123", relation_to_head="parent")
    assert len(person.id_number) == 18 and person.birth_date == dt.date(1950, 1, 1) and person.sex == "male"


def _with_wrong_check(number: str) -> str:
    wrong = next(c for c in "0123456789X" if c != check_character(number[:17]))
    return number[:17] + wrong


@pytest.mark.parametrize("bad, field, words", [
    ({"id_number": "WRONG_CHECK"}, "id_number", "check digit"),
    ({"id_number": "1301231970010112345"[:16]}, "id_number", "16"),
    ({"id_number": "FUTURE"}, "id_number", "future"),
    ({"sex": "female", "id_number": "MALE"}, "sex", "male"),
    ({"birth_date": dt.date(1971, 1, 1), "id_number": "MALE"}, "birth_date", "1971-01-01"),
    ({"disability_type": "physical"}, "disability_grade", ""),
    ({"disability_grade": 3}, "disability_type", ""),
    ({"disability_type": "physical", "disability_grade": 5}, "disability_grade", ""),
    ({"relation_to_head": "cousin"}, "relation_to_head", ""),
    ({"name": ""}, "name", ""),
    ({"work_ability": "lazy"}, "work_ability", ""),
])
def test_add_member_bad_input(worker, household, bad, field, words):
    args = member()
    args.update(bad)
    male = new_id(birth=dt.date(1970, 1, 1), sex="male")
    if args["id_number"] == "WRONG_CHECK":
        args["id_number"] = _with_wrong_check(new_id())
    elif args["id_number"] == "FUTURE":
        future = dt.date.today() + dt.timedelta(days=30)
        body = f"130123{future:%Y%m%d}123"
        args["id_number"] = body + check_character(body)
    elif args["id_number"] == "MALE":
        args["id_number"] = male
    with pytest.raises(ValidationError) as err:
        services.add_member(actor=worker, household_id=household.pk, **args)
    assert err.value.field == field
    assert words in err.value.message
    if field == "sex":
        assert "female" in err.value.message  # names both values
    if field == "birth_date":
        assert male[6:10] in err.value.message


def test_member_in_two_households_is_impossible(worker, household, village):
    number = household.head.id_number
    other = make_household(worker, village.code, address="别处")
    with pytest.raises(ValidationError) as err:
        services.add_member(actor=worker, household_id=other.pk, name="张三", id_number=number, relation_to_head="other")
    assert err.value.field == "id_number"
    assert f"#{household.pk}" in err.value.message


def test_member_in_household_outside_scope_is_not_named(make_actor, worker, household, other_village):
    other_worker = make_actor("town_worker", OTHER_TOWN)
    theirs = make_household(other_worker, other_village.code, address="新城铺")
    with pytest.raises(ValidationError) as err:
        services.add_member(actor=other_worker, household_id=theirs.pk, name="张三", id_number=household.head.id_number, relation_to_head="other")
    assert "outside your area" in err.value.message and f"#{household.pk}" not in err.value.message


def test_second_head_is_refused(worker, household):
    with pytest.raises(ValidationError) as err:
        services.add_member(actor=worker, household_id=household.pk, **member(relation_to_head="head"))
    assert err.value.field == "relation_to_head"


def test_add_member_wrong_role_and_area(make_actor, household):
    with pytest.raises(PermissionDenied):
        services.add_member(actor=make_actor("village_cadre", TOWN), household_id=household.pk, **member())
    with pytest.raises(NotFound):
        services.add_member(actor=make_actor("town_worker", OTHER_TOWN), household_id=household.pk, **member())


def test_update_member(worker, household):
    person = services.add_member(actor=worker, household_id=household.pk, **member())
    services.update_member(actor=worker, person_id=person.pk, name="李四四", serious_illness=True)
    person.refresh_from_db()
    assert person.name == "李四四" and person.serious_illness
    with pytest.raises(ValidationError) as err:
        services.update_member(actor=worker, person_id=person.pk, relation_to_head="head")
    assert err.value.field == "relation_to_head"
    with pytest.raises(ValidationError) as err:
        services.update_member(actor=worker, person_id=person.pk, id_number=household.head.id_number)
    assert err.value.field == "id_number"


def test_update_member_new_number_rederives_sex(worker, household):
    person = services.add_member(actor=worker, household_id=household.pk, **member())
    number = new_id(birth=dt.date(1980, 2, 2), sex="male")
    services.update_member(actor=worker, person_id=person.pk, id_number=number)
    person.refresh_from_db()
    assert person.sex == "male" and person.birth_date.isoformat().replace("-", "") == number[6:14]


def test_remove_member_and_head(worker, household):
    spouse = services.add_member(actor=worker, household_id=household.pk, **member())
    with pytest.raises(ValidationError) as err:
        services.remove_member(actor=worker, person_id=household.head_id)
    assert err.value.field == "new_head_id"
    services.remove_member(actor=worker, person_id=household.head_id, new_head_id=spouse.pk, reason="deceased")
    household.refresh_from_db()
    spouse.refresh_from_db()
    assert household.head_id == spouse.pk and spouse.relation_to_head == "head"
    assert household.members.count() == 1
    services.remove_member(actor=worker, person_id=spouse.pk)
    assert household.members.count() == 0


# --- kinship ------------------------------------------------------------------------------

def test_link_kinship_both_directions(worker, household, village):
    other = make_household(worker, village.code, address="隔壁")
    services.link_kinship(actor=worker, person_id=household.head_id, relative_id=other.head_id, relation="parent")
    assert Kinship.objects.get(person_id=household.head_id).relation == "parent"
    assert Kinship.objects.get(person_id=other.head_id).relation == "child"
    with pytest.raises(ValidationError):
        services.link_kinship(actor=worker, person_id=household.head_id, relative_id=other.head_id, relation="parent")
    services.unlink_kinship(actor=worker, person_id=other.head_id, relative_id=household.head_id)
    assert not Kinship.objects.exists()


def test_link_kinship_same_household_refused(worker, household):
    spouse = services.add_member(actor=worker, household_id=household.pk, **member())
    with pytest.raises(ValidationError):
        services.link_kinship(actor=worker, person_id=household.head_id, relative_id=spouse.pk, relation="spouse")


def test_link_kinship_outside_scope_by_id_number_only(make_actor, worker, household, other_village):
    other_worker = make_actor("town_worker", OTHER_TOWN)
    theirs = make_household(other_worker, other_village.code, address="新城铺")
    with pytest.raises(NotFound):
        services.link_kinship(actor=worker, person_id=household.head_id, relative_id=theirs.head_id, relation="sibling")
    services.link_kinship(actor=worker, person_id=household.head_id, relative_id_number=theirs.head.id_number, relation="sibling")
    assert Kinship.objects.filter(person_id=theirs.head_id, relation="sibling").exists()
    with pytest.raises(ValidationError) as err:
        services.link_kinship(actor=worker, person_id=household.head_id, relative_id_number=new_id(), relation="sibling")
    assert err.value.field == "relative_id_number"


# --- declarations ---------------------------------------------------------------------------

def test_set_income_and_assets(worker, household):
    services.set_income_items(actor=worker, household_id=household.pk, items=[
        {"category": "wages", "monthly_amount": "1200.50", "person_id": household.head_id},
        {"category": "excluded_scholarship", "monthly_amount": Decimal("100")},
    ])
    assert household.income_items.count() == 2
    services.set_income_items(actor=worker, household_id=household.pk, items=[{"category": "pension", "monthly_amount": "300"}])
    assert list(household.income_items.values_list("category", "monthly_amount")) == [("pension", Decimal("300.00"))]
    services.set_assets(actor=worker, household_id=household.pk, items=[{"category": "deposit", "value": "5000"}, {"category": "home", "value": 0, "is_exempt": True}])
    assert household.assets.count() == 2
    assert AuditEvent.objects.filter(action="registry.set_assets").exists()


@pytest.mark.parametrize("item, field", [
    ({"category": "wages", "monthly_amount": "-1"}, "items.0.monthly_amount"),
    ({"category": "wages", "monthly_amount": "abc"}, "items.0.monthly_amount"),
    ({"category": "lottery", "monthly_amount": "1"}, "items.0.category"),
    ({"category": "wages", "monthly_amount": "1", "person_id": 999999}, "items.0.person_id"),
])
def test_set_income_bad_items(worker, household, item, field):
    with pytest.raises(ValidationError) as err:
        services.set_income_items(actor=worker, household_id=household.pk, items=[item])
    assert err.value.field == field


def test_set_assets_denied(make_actor, household):
    with pytest.raises(PermissionDenied):
        services.set_assets(actor=make_actor("inspector", TOWN), household_id=household.pk, items=[])
    with pytest.raises(NotFound):
        services.set_assets(actor=make_actor("town_worker", OTHER_TOWN), household_id=household.pk, items=[])


# --- unmasking ------------------------------------------------------------------------------

def test_reveal_id_number_is_logged(worker, household):
    number = services.reveal_id_number(actor=worker, person_id=household.head_id)
    assert number == household.head.id_number
    event = AuditEvent.objects.get(action="registry.reveal_id_number")
    assert event.object_id == str(household.head_id) and event.username == worker.username


def test_reveal_id_number_denied(make_actor, household):
    with pytest.raises(PermissionDenied):
        services.reveal_id_number(actor=make_actor("grid_worker", TOWN), person_id=household.head_id)
    with pytest.raises(NotFound):
        services.reveal_id_number(actor=make_actor("town_worker", OTHER_TOWN), person_id=household.head_id)
    assert not AuditEvent.objects.filter(action="registry.reveal_id_number").exists()
