"""Bad input to the registry gets a specific answer and changes nothing silently (issue 14, items
4, 5 and 7): Unicode digits in ID numbers, numeric Excel cells, names with invisible or control
characters, household references longer than the column. Through the roster import, the API and
the member form."""
from __future__ import annotations

import io

import pytest
from django.urls import reverse

from safetynet.core.errors import ValidationError
from safetynet.core.idnumbers import check_character
from safetynet.registry import selectors, services
from safetynet.registry.models import Household, Person
from safetynet.registry.roster import import_roster
from tests.conftest import TOWN
from tests.registry_helpers import head, make_household, new_id
from tests.verification_helpers import xlsx_bytes

HEADER = ["户编号", "区划代码", "地址", "户籍性质", "姓名", "身份证号", "与户主关系"]
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def xlsx(rows, header=HEADER) -> io.BytesIO:
    return io.BytesIO(xlsx_bytes(header, rows))


def superscript(number: str) -> str:
    """The number with its 17th digit typed as a superscript (² for 2, and so on)."""
    supers = dict(zip("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return number[:16] + supers[number[16]] + number[17:]


def superscript_wrong_check() -> str:
    """A number with a superscript digit whose check digit is wrong once the digit is read as 2:
    a crash before issue 14, a specific refusal now."""
    number = new_id()
    wrong = next(c for c in "0123456789X" if c != check_character(number[:17]))
    return superscript(number[:17] + wrong)


# --- roster import ------------------------------------------------------------------------

def test_roster_with_a_superscript_digit_saves_the_good_rows_and_reports_the_bad_one(worker, village):
    v = village.code
    bad_number = superscript_wrong_check()
    rows = [
        ["H1", v, "东街1号", "农村", "张一", new_id(), "户主"],
        ["H2", v, "东街2号", "农村", "张二", bad_number, "户主"],
        ["H3", v, "东街3号", "农村", "张三", new_id(), "户主"],
    ]
    result = import_roster(actor=worker, source=xlsx(rows), filename="roster.xlsx", area_code=TOWN)
    assert result.persons_created == 2 and Person.objects.count() == 2
    [error] = result.errors
    assert error.row == 3 and error.field == "id_number"


def test_roster_reads_full_width_and_superscript_digits_as_the_digits_they_are(worker, village):
    v = village.code
    wide, raised = new_id(), new_id()
    spaced = new_id()
    rows = [
        ["H1", v, "东街1号", "农村", "张一", wide.translate(FULL_WIDTH), "户主"],
        ["H2", v, "东街2号", "农村", "张二", superscript(raised), "户主"],
        ["H3", v, "东街3号", "农村", "张三", f" {spaced[:6]} {spaced[6:14]}\u200b{spaced[14:]} ", "户主"],
    ]
    result = import_roster(actor=worker, source=xlsx(rows), filename="roster.xlsx", area_code=TOWN)
    assert not result.errors
    assert set(Person.objects.values_list("id_number", flat=True)) == {wide, raised, spaced}


def test_an_id_number_in_a_number_cell_is_refused_as_such(worker, village):
    v = village.code
    number = new_id()
    while number.endswith("X"):     # a number cell cannot hold a check digit X (which ID comes next depends on the order tests run)
        number = new_id()
    rows = [
        ["H1", v, "东街1号", "农村", "张一", int(number), "户主"],                          # an 18-digit number cell
        ["H2", v, "东街2号", "农村", "张二", float(number), "户主"],                        # as Excel stores it
        ["H3", v, "东街3号", "农村", "张三", f"{float(number):.14e}", "户主"],                # a CSV of such a sheet
        ["H4", v, "东街4号", "农村", "张四", new_id(), "户主"],
    ]
    result = import_roster(actor=worker, source=xlsx(rows), filename="roster.xlsx", area_code=TOWN)
    assert result.persons_created == 1
    assert [(e.row, e.field) for e in result.errors] == [(2, "id_number"), (3, "id_number"), (4, "id_number")]
    assert all("15 digits" in e.message and "text" in e.message for e in result.errors)
    assert not any("check digit" in e.message for e in result.errors)


def test_a_legacy_15_digit_number_in_a_number_cell_is_whole_and_accepted(worker, village):
    legacy = "130123500101123"
    rows = [["H1", village.code, "东街1号", "农村", "张一", int(legacy), "户主"]]
    result = import_roster(actor=worker, source=xlsx(rows), filename="roster.xlsx", area_code=TOWN)
    assert not result.errors and Person.objects.get().id_number.startswith("13012319500101123")


def test_long_household_references_are_refused_not_cut_into_one_household(worker, village):
    v = village.code
    stem = "县民政局-2026年度-低保-第一批-" + "0" * 60
    rows = [
        ["H1", v, "东街1号", "农村", "张一", new_id(), "户主"],
        [stem + "A", v, "东街2号", "农村", "张二", new_id(), "户主"],
        [stem + "B", v, "东街3号", "农村", "张三", new_id(), "户主"],
    ]
    result = import_roster(actor=worker, source=xlsx(rows), filename="roster.xlsx", area_code=TOWN)
    assert result.households_created == 1 and Household.objects.count() == 1
    assert [(e.row, e.field) for e in result.errors] == [(3, "household_ref"), (4, "household_ref")]
    assert "64" in result.errors[0].message


def test_roster_names_are_normalised_and_control_characters_refused(worker, village):
    v = village.code
    rows = [
        ["H1", v, "东街1号", "农村", "张\u200b三\u3000丰 ", new_id(), "户主"],
        ["H2", v, "东街2号", "农村", "李\n四", new_id(), "户主"],
        ["H3", v, "东街3号", "农村", "王\u202e五", new_id(), "户主"],   # a right-to-left override
    ]
    result = import_roster(actor=worker, source=xlsx(rows), filename="roster.xlsx", area_code=TOWN)
    assert Person.objects.get().name == "张三 丰"
    assert [(e.row, e.field) for e in result.errors] == [(3, "name"), (4, "name")]
    assert all("control character" in e.message for e in result.errors)


def test_roster_import_page_does_not_fail_on_a_unicode_digit(client_for, village, immediate_jobs):
    client = client_for("town_worker", TOWN)
    upload = xlsx([["H1", village.code, "东街1号", "农村", "张一", new_id(), "户主"],
                   ["H2", village.code, "东街2号", "农村", "张二", superscript_wrong_check(), "户主"]])
    upload.name = "roster.xlsx"
    response = client.post(reverse("registry:import"), {"file": upload, "area": TOWN})
    assert response.status_code == 302
    done = client.get(response["Location"])   # the upload's job (run at once here) ends on its report
    assert done.status_code == 302
    html = client.get(done["Location"]).content.decode()
    assert 'data-testid="count-persons">1<' in html and 'data-testid="count-errors">1<' in html


# --- services, API and pages --------------------------------------------------------------

def test_validate_member_refuses_unicode_digits_by_name_not_by_crash():
    with pytest.raises(ValidationError) as caught:
        services.validate_member(name="张三", id_number=new_id()[:10] + "\u0661" + new_id()[11:], relation_to_head="head")
    assert caught.value.field == "id_number" and caught.value.code == "id_number_characters"


def test_api_person_with_a_superscript_digit_is_422_naming_the_field(client_for, make_actor, village):
    household = make_household(make_actor("town_worker", TOWN), village.code)
    client = client_for("town_worker", TOWN)
    response = client.post("/api/v1/persons", {"household": household.pk, "name": "张二", "id_number": superscript_wrong_check(),
                                               "relation_to_head": "child"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "id_number"
    assert Person.objects.count() == 1


def test_api_stores_a_full_width_number_and_a_cleaned_name(client_for, make_actor, village):
    household = make_household(make_actor("town_worker", TOWN), village.code)
    client = client_for("town_worker", TOWN)
    number = new_id()
    response = client.post("/api/v1/persons", {"household": household.pk, "name": " 王\u200d小 二 ",
                                               "id_number": number.translate(FULL_WIDTH), "relation_to_head": "child"},
                           content_type="application/json")
    assert response.status_code == 201
    person = Person.objects.get(id_number=number)
    assert person.name == "王小 二"
    nul = client.post("/api/v1/persons", {"household": household.pk, "name": "王\x00二", "id_number": new_id(),
                                          "relation_to_head": "child"}, content_type="application/json")
    assert nul.status_code == 422 and nul.json()["field"] == "name"


def test_member_form_with_a_superscript_digit_shows_the_error_at_the_field(client_for, make_actor, village):
    household = make_household(make_actor("town_worker", TOWN), village.code)
    client = client_for("town_worker", TOWN)
    response = client.post(reverse("registry:member_add", args=[household.pk]), {
        "name": "王小红", "id_number": superscript_wrong_check(), "relation_to_head": "child", "work_ability": "full"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "王小红" in html and "is-invalid" in html
    assert household.members.count() == 1


def test_search_finds_a_name_typed_with_invisible_or_full_width_characters(make_actor, village):
    actor = make_actor("town_worker", TOWN)
    number = new_id()
    household = make_household(actor, village.code, members=[head("李\u200b秀\u00a0英", id_number=number)])
    assert household.head.name == "李秀 英"
    for term in ("李秀 英", "李秀\u3000英", " 李\ufeff秀  英"):
        assert list(selectors.search_households(actor, term)) == [household], term
        assert selectors.search_persons(actor, term).count() == 1, term
    assert list(selectors.search_households(actor, number.translate(FULL_WIDTH))) == [household]


def test_address_and_description_are_normalised_and_a_newline_in_an_address_refused(make_actor, village):
    actor = make_actor("town_worker", TOWN)
    household = make_household(actor, village.code, address="东街\u200b１号")
    assert household.address == "东街1号"
    with pytest.raises(ValidationError) as caught:
        services.update_household(actor=actor, household_id=household.pk, address="东街\n2号")
    assert caught.value.field == "address"


def test_external_ref_over_the_column_length_is_refused_by_the_services(make_actor, village):
    actor = make_actor("town_worker", TOWN)
    with pytest.raises(ValidationError) as caught:
        make_household(actor, village.code, external_ref="R" * 65)
    assert caught.value.field == "external_ref"
    assert make_household(actor, village.code, external_ref="R" * 64).external_ref == "R" * 64


def test_member_form_takes_a_number_typed_with_spaces_and_stores_it_whole(client_for, make_actor, village):
    household = make_household(make_actor("town_worker", TOWN), village.code)
    client = client_for("town_worker", TOWN)
    number = new_id(sex="female")
    typed = " ".join(number[i:i + 4] for i in range(0, 18, 4)).translate(FULL_WIDTH)   # 22 characters
    response = client.post(reverse("registry:member_add", args=[household.pk]), {
        "name": "王\u200b小红", "id_number": typed, "relation_to_head": "child", "work_ability": "full"})
    assert response.status_code == 302
    assert household.members.get(id_number=number).name == "王小红"


def test_names_stored_before_normalising_are_normalised_by_the_migration(make_actor, village):
    import importlib

    from django.apps import apps

    actor = make_actor("town_worker", TOWN)
    household = make_household(actor, village.code, members=[head("赵六")])
    Person.objects.filter(pk=household.head_id).update(name="赵\u200b六\u3000子")
    Household.objects.filter(pk=household.pk).update(address="西街\u00a0１号")
    migration = importlib.import_module("safetynet.registry.migrations.0004_normalise_names_and_addresses")
    migration.normalise_text_columns(apps, None)
    assert Person.objects.get(pk=household.head_id).name == "赵六 子"
    assert Household.objects.get(pk=household.pk).address == "西街 1号"
    assert list(selectors.search_households(actor, "赵六\u3000子")) == [household]


def test_the_roster_command_reports_a_unicode_digit_row_and_imports_the_rest(county, village, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([["H1", village.code, "东街1号", "农村", "张一", new_id(), "户主"],
                           ["H2", village.code, "东街2号", "农村", "张二", superscript_wrong_check(), "户主"]]).getvalue())
    with pytest.raises(CommandError):
        call_command("registry_import", str(path), "--area", TOWN)
    assert Person.objects.count() == 1


def test_a_header_with_an_invisible_character_still_names_its_column(worker, village):
    header = [("\ufeff" + h if h == "户编号" else h + "\u200b" if h == "身份证号" else h) for h in HEADER]
    result = import_roster(actor=worker, source=xlsx([["H1", village.code, "东街1号", "农村", "张一", new_id(), "户主"]], header=header),
                           filename="roster.xlsx", area_code=TOWN)
    assert not result.errors and result.persons_created == 1
