"""Importing the official division-code list: the service (counts, every bad row with its row
number, renames that keep what refers to an area, padded codes, unreadable files)."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from tests.conftest import COUNTY, DIVISIONS, OTHER_TOWN, TOWN, xlsx_file


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English, whatever translations ship."""
    from django.utils import translation

    with translation.override("en"):
        yield


def csv_file(*lines: str) -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def run_import(actor, source, filename="divisions.csv"):
    from safetynet.areas.services import import_divisions

    return import_divisions(actor=actor, source=source, filename=filename)


def errors_by_row(result) -> dict[int, tuple[str, str]]:
    return {e.row: (e.field, e.message) for e in result.errors}


def add_household(area_code: str, name: str = "张三", sequence: int = 1):
    """A minimal household with one member, written directly (the registry's services are not
    under test here)."""
    from safetynet.core.idnumbers import make_id_number
    from safetynet.registry.models import Household, Person

    household = Household.objects.create(area_id=area_code, address=f"{name}家", registration_type="rural")
    person = Person.objects.create(
        household=household, area_id=area_code, name=name, sex="male", birth_date=dt.date(1960, 1, 1),
        relation_to_head="head", id_number=make_id_number("130123", dt.date(1960, 1, 1), sequence, "male"),
    )
    household.head = person
    household.save(update_fields=["head"])
    return household, person


# --- good files ----------------------------------------------------------------------------

def test_good_file_counts_and_reimport_adds_nothing(db, system):
    from safetynet.areas.models import Area

    with DIVISIONS.open("rb") as f:
        first = run_import(system, f, DIVISIONS.name)
    assert (first.added, first.renamed, first.unchanged, first.errors) == (200, 0, 0, [])
    assert Area.objects.count() == 200
    assert Area.objects.get(code=COUNTY).parent_id == "1301"
    village = Area.objects.get(code="130123100001")
    assert (village.level, village.parent_id, village.urban_rural_class) == ("village", TOWN, "121")

    with DIVISIONS.open("rb") as f:
        again = run_import(system, f, DIVISIONS.name)
    assert (again.added, again.renamed, again.reclassified, again.unchanged, again.errors) == (0, 0, 0, 200, [])
    assert Area.objects.count() == 200


def test_chinese_headers_and_xlsx(db, system):
    from safetynet.areas.models import Area

    source = xlsx_file([
        ["统计用区划代码", "名称", "城乡分类代码"],
        ["13", "河北省", None],
        ["1301", "石家庄市", None],
        ["130123", "正定县", None],
        ["130123100", "正定镇", None],
        [130123100001, "恒东社区居民委员会", 121],  # numbers, as Excel stores them
    ])
    result = run_import(system, source, "区划.xlsx")
    assert (result.added, result.errors) == (5, [])
    assert Area.objects.get(code="130123100001").urban_rural_class == "121"


def test_codes_padded_to_twelve_digits(db, system):
    from safetynet.areas.models import Area

    result = run_import(system, csv_file(
        "code,name,urban_rural_class",
        "130000000000,河北省,",
        "130100000000,石家庄市,",
        "130123000000,正定县,",
        "130123100000,正定镇,",
        "130123100001,恒东社区居民委员会,121",
    ))
    assert (result.added, result.errors) == (5, [])
    assert set(Area.objects.values_list("code", "level")) == {
        ("13", "province"), ("1301", "city"), ("130123", "county"), ("130123100", "town"), ("130123100001", "village")}
    assert Area.objects.get(code="130123100001").parent_id == "130123100"


def test_rename_keeps_households_and_people_attached(county, village, make_actor):
    from safetynet.areas.models import Area
    from safetynet.core.models import AuditEvent

    household, person = add_household(village.code)
    officer = make_actor("county_officer", COUNTY)
    result = run_import(officer, csv_file(
        "code,name,urban_rural_class",
        f"{village.code},新名字村民委员会,{village.urban_rural_class}",
        f"{TOWN},正定镇,",
    ))
    assert (result.added, result.renamed, result.unchanged, result.errors) == (0, 1, 1, [])
    household.refresh_from_db()
    person.refresh_from_db()
    assert household.area_id == village.code == person.area_id
    assert household.area.name == "新名字村民委员会"
    assert Area.objects.filter(code=village.code).count() == 1
    event = AuditEvent.objects.filter(action="areas.import").order_by("-sequence").first()
    assert event.after["renames"] == {village.code: {"before": village.name, "after": "新名字村民委员会"}}


def test_reclassification_is_counted(county, village, system):
    from safetynet.areas.models import Area

    new_class = "220" if village.urban_rural_class != "220" else "210"
    result = run_import(system, csv_file("code,name,urban_rural_class", f"{village.code},{village.name},{new_class}"))
    assert (result.reclassified, result.renamed) == (1, 0)
    assert Area.objects.get(code=village.code).urban_rural_class == new_class


# --- bad rows ------------------------------------------------------------------------------

def test_every_bad_row_is_reported_with_its_row_number(county, make_actor):
    from safetynet.areas.models import Area

    officer = make_actor("county_officer", COUNTY)
    result = run_import(officer, csv_file(
        "code,name,urban_rural_class,level",
        "13012310A001,坏码村,220,",              # 2 characters other than digits
        "1301231000,十位码,,",                   # 3 ten digits: no such level
        "130123999001,孤村,220,",                # 4 parent town 999 unknown
        f"{TOWN},正定镇,,village",               # 5 the row's level disagrees with the code
        f"{TOWN},正定镇,111,",                   # 6 class on a town
        "130123100901,无类村,,",                 # 7 fine: a village whose class is not known yet
        "130123100902,甲村,220,",                # 8 fine
        "130123100902,甲村又一次,220,",          # 9 duplicate of row 8
        "130124100001,外县村,220,",              # 10 outside the officer's county
        "130123100903,,220,",                    # 11 empty name
        "130123100904,乙村,999,",                # 12 not a class
        "130123000,零号镇,,",                    # 13 town number 000
        "130123100905,丙村,220,乡",              # 14 Chinese level that disagrees
        "130123100906,丁村,220,村",              # 15 fine: Chinese level that agrees
    ))
    errors = errors_by_row(result)
    assert sorted(errors) == [2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14]
    assert errors[2][0] == "code" and "digits" in errors[2][1]
    assert errors[3][0] == "code" and "10 digits" in errors[3][1]
    assert errors[4][0] == "code" and "130123999" in errors[4][1]
    assert errors[5][0] == "level"
    assert errors[6][0] == "urban_rural_class"
    assert errors[9][0] == "code" and "row 8" in errors[9][1]
    assert errors[10][0] == "code" and "outside your area" in errors[10][1]
    assert errors[11][0] == "name"
    assert errors[12][0] == "urban_rural_class"
    assert errors[13][0] == "code"
    assert errors[14][0] == "level"
    assert (result.added, result.without_class) == (3, 1)
    assert set(Area.objects.filter(code__in=["130123100902", "130123100906"]).values_list("name", flat=True)) == {"甲村", "丁村"}
    assert Area.objects.get(code="130123100901").urban_rural_class == ""
    assert not Area.objects.filter(code__in=["130123999001", "130124100001"]).exists()
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)
    assert result.errors[0].values["name"] == "坏码村"  # the row as sent, for the error sheet


def test_child_of_a_bad_row_names_that_row(db, system):
    result = run_import(system, csv_file(
        "code,name,urban_rural_class",
        "13,河北省,",
        "1301,,",                                 # 3 bad: no name
        "130123,正定县,",                          # 4 its parent is the bad row 3
    ))
    errors = errors_by_row(result)
    assert errors[3][0] == "name"
    assert "row 3" in errors[4][1]


def test_town_officer_ancestors_are_context_not_errors(county, make_actor):
    """A county officer may import the county's slice of the national list as published: the
    province and city rows are accepted as context (unchanged), never renamed by them."""
    from safetynet.areas.models import Area

    officer = make_actor("county_officer", COUNTY)
    with DIVISIONS.open("rb") as f:
        result = run_import(officer, f, DIVISIONS.name)
    assert (result.added, result.unchanged, result.errors) == (0, 200, [])
    renamed = run_import(officer, csv_file("code,name,urban_rural_class", "13,改名省,", "1301,改名市,"))
    assert (renamed.renamed, renamed.unchanged) == (0, 2)
    assert Area.objects.get(code="13").name == "河北省"


def test_outside_rows_of_a_sibling_county_are_refused(county, make_actor):
    from safetynet.areas.models import Area

    Area.objects.create(code="130124", name="高邑县", level="county", parent_id="1301")
    officer = make_actor("county_officer", COUNTY)
    result = run_import(officer, csv_file("code,name,urban_rural_class", "130124,高邑县改,", "130124100,高邑镇,"))
    assert sorted(errors_by_row(result)) == [2, 3]
    assert Area.objects.get(code="130124").name == "高邑县"


@pytest.mark.parametrize("role", ["town_worker", "village_cadre", "inspector", "county_leader"])
def test_only_county_officers_import(county, make_actor, role):
    from safetynet.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import(make_actor(role, COUNTY if role.startswith("county") else TOWN),
                   csv_file("code,name,urban_rural_class", f"{OTHER_TOWN}999,新村,220"))


# --- unreadable files ----------------------------------------------------------------------

def test_missing_columns(db, system):
    from safetynet.core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        run_import(system, csv_file("代码,城乡分类代码", "13,"))
    assert caught.value.code == "missing_columns"
    assert caught.value.field == "file"
    assert "name" in caught.value.message


def test_xlsx_with_merged_header(db, system):
    from safetynet.core.errors import ValidationError

    source = xlsx_file([["区划代码及名称", None, "城乡分类代码"], ["13", "河北省", None]], merge="A1:B1")
    with pytest.raises(ValidationError) as caught:
        run_import(system, source, "divisions.xlsx")
    assert caught.value.code == "merged_header"
    assert "A1:B1" in caught.value.message


@pytest.mark.parametrize("content", [
    b"code,name,urban_rural_class\n13,\xe6\xb2\xb3\xe5\x8c\x97\xe7\x9c\x81,\n",  # a CSV renamed .xlsx
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,                              # an old .xls renamed
    b"PK\x03\x04 not really a zip",
])
def test_not_really_an_xlsx(db, system, content):
    from safetynet.core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        run_import(system, io.BytesIO(content), "divisions.xlsx")
    assert caught.value.field == "file"
    assert "Excel" in caught.value.message


def test_a_zip_that_is_not_a_workbook(db, system):
    import zipfile

    from safetynet.core.errors import ValidationError

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    buffer.seek(0)
    with pytest.raises(ValidationError) as caught:
        run_import(system, buffer, "divisions.xlsx")
    assert caught.value.field == "file"


def test_a_failed_file_changes_nothing(county, system):
    from safetynet.areas.models import Area
    from safetynet.core.errors import ValidationError

    before = Area.objects.count()
    with pytest.raises(ValidationError):
        run_import(system, csv_file("name", "新村"))
    assert Area.objects.count() == before


def test_normalise_code():
    from safetynet.areas.services import normalise_code

    assert normalise_code("130123000000") == "130123"
    assert normalise_code("130000000000") == "13"
    assert normalise_code("130123100000") == "130123100"
    assert normalise_code("130123100001") == "130123100001"
    assert normalise_code("１３０１２３") == "130123"       # full-width digits
    assert normalise_code("'130123") == "130123"           # Excel text marker
    assert normalise_code(" 130123100001 ") == "130123100001"


def test_a_reclassified_village_picks_its_new_standard_at_once(county, village, make_actor):
    """The area tree is cached for the rules (core/refcache.py); an import that changes a
    village's urban-rural class must show at once in which standard applies."""
    from safetynet.programs.selectors import area_path

    officer = make_actor("county_officer", COUNTY)
    rural = "220" if village.urban_rural_class.startswith("1") else "111"
    was_urban = area_path(village.code).is_urban
    result = run_import(officer, csv_file(
        "code,name,urban_rural_class",
        f"{village.code},{village.name},{rural}",
    ))
    assert not result.errors
    assert area_path(village.code).is_urban is (not was_urban)
