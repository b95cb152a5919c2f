"""Roster import: good rows in, bad rows out with reasons, idempotent, header problems."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.core.idnumbers import check_character
from safetynet.core.models import AuditEvent
from safetynet.registry.models import Household, Person
from safetynet.registry.roster import import_roster
from tests.conftest import OTHER_TOWN, TOWN, xlsx_file
from tests.registry_helpers import head, make_household, new_id

HEADER = ["户编号", "区划代码", "地址", "户籍性质", "姓名", "身份证号", "与户主关系", "残疾类别", "残疾等级", "重病", "劳动能力", "电话"]


def xlsx(rows, header=HEADER, merge: str | None = None) -> io.BytesIO:
    return xlsx_file([header, *rows], merge=merge)


def wrong_check(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != check_character(number[:17]))


def future_number() -> str:
    future = dt.date.today() + dt.timedelta(days=60)
    body = f"130123{future:%Y%m%d}135"
    return body + check_character(body)


@pytest.fixture
def good_rows(village):
    v = village.code
    return [
        ["H001", v, "东街1号", "农村", "张大山", new_id(), "户主", "", "", "否", "有", "13800000001"],
        ["H001", v, "东街1号", "农村", "李秀英", new_id(sex="female"), "配偶", "肢体", "二级", "是", "部分", ""],
        ["H001", v, "", "", "张小宝", new_id(birth=dt.date(2015, 6, 1)), "子女", "", "", "", "", ""],
        ["H002", v, "西街9号", "城镇", "王老五", new_id(birth=dt.date(1940, 1, 1)), "户主", "", "", "是", "无", ""],
        ["H002", v, "西街9号", "城镇", "王二", new_id(birth=dt.date(1965, 3, 3)), "子女", "", "", "否", "有", ""],
    ]


def test_good_file_imports_households_and_heads(worker, village, good_rows):
    result = import_roster(actor=worker, source=xlsx(good_rows), filename="roster.xlsx", area_code=TOWN)
    assert not result.errors
    assert (result.households_created, result.persons_created, result.unchanged) == (2, 5, 0)
    h1 = Household.objects.get(external_ref="H001")
    assert h1.head.name == "张大山" and h1.members.count() == 3 and h1.registration_type == "rural" and h1.phone == "13800000001"
    spouse = h1.members.get(name="李秀英")
    assert (spouse.disability_type, spouse.disability_grade, spouse.serious_illness, spouse.work_ability) == ("physical", 2, True, "partial")
    assert spouse.sex == "female" and spouse.area_id == village.code
    assert Household.objects.get(external_ref="H002").registration_type == "urban"
    event = AuditEvent.objects.get(action="registry.import_roster")
    assert event.after["persons_created"] == 5 and event.after["errors"] == 0


def test_second_import_adds_nothing(worker, good_rows):
    import_roster(actor=worker, source=xlsx(good_rows), filename="roster.xlsx", area_code=TOWN)
    again = import_roster(actor=worker, source=xlsx(good_rows), filename="roster.xlsx", area_code=TOWN)
    assert not again.errors
    assert (again.households_created, again.persons_created, again.unchanged, again.households_matched) == (0, 0, 5, 2)
    assert Household.objects.count() == 2 and Person.objects.count() == 5


def test_new_member_joins_matched_household(worker, village, good_rows):
    import_roster(actor=worker, source=xlsx(good_rows), filename="roster.xlsx", area_code=TOWN)
    more = good_rows + [["H001", village.code, "东街1号", "农村", "张小妹", new_id(birth=dt.date(2018, 1, 1), sex="female"), "子女", "", "", "", "", ""]]
    result = import_roster(actor=worker, source=xlsx(more), filename="roster.xlsx", area_code=TOWN)
    assert (result.persons_created, result.unchanged, result.households_created) == (1, 5, 0)
    assert Household.objects.get(external_ref="H001").members.count() == 4


def test_bad_rows_are_reported_with_reasons(make_actor, worker, village, other_village, good_rows):
    registered = make_household(worker, village.code, address="别家", members=[head("已登记")])
    v = village.code
    duplicate = good_rows[0][5]
    bad = [
        ["H003", v, "南街1号", "农村", "赵甲", wrong_check(new_id()), "户主", "", "", "", "", ""],           # bad check digit
        ["H004", v, "南街2号", "农村", "赵乙", future_number(), "户主", "", "", "", "", ""],                  # future birth date
        ["H005", "130123100999", "南街3号", "农村", "赵丙", new_id(), "户主", "", "", "", "", ""],           # unknown area
        ["H006", other_village.code, "新城", "农村", "赵丁", new_id(), "户主", "", "", "", "", ""],          # outside scope
        ["H007", v, "南街4号", "农村", "赵戊", registered.head.id_number, "户主", "", "", "", "", ""],       # in another household
        ["H008", v, "南街5号", "农村", "赵己", duplicate, "户主", "", "", "", "", ""],                       # duplicate in file
        ["H009", v, "南街6号", "农村", "赵庚", new_id(), "配偶", "", "", "", "", ""],                        # no head
        ["H010", v, "南街7号", "农村", "赵辛", new_id()[:16], "户主", "", "", "", "", ""],                   # 16 digits
        ["H011", v, "南街8号", "农村", "赵壬", new_id(), "堂兄", "", "", "", "", ""],                        # unknown relation
        ["H012", v, "南街9号", "农村", "赵癸", new_id(), "户主", "肢体", "", "", "", ""],                    # type without grade
    ]
    result = import_roster(actor=worker, source=xlsx(good_rows + bad), filename="roster.xlsx", area_code=TOWN)
    assert result.persons_created == 5 and result.households_created == 2
    reasons = {e.row: (e.field, e.message) for e in result.errors}
    first = len(good_rows) + 2  # header is row 1
    assert reasons[first][0] == "id_number" and "check digit" in reasons[first][1]
    assert "future" in reasons[first + 1][1]
    assert reasons[first + 2][0] == "area_code" and reasons[first + 3][0] == "area_code"
    assert f"#{registered.pk}" in reasons[first + 4][1]
    assert "row 2" in reasons[first + 5][1]
    assert "no head" in reasons[first + 6][1]
    assert "16" in reasons[first + 7][1]
    assert reasons[first + 8][0] == "relation_to_head"
    assert reasons[first + 9][0] == "disability_grade"
    assert len(result.errors) == len(bad)
    from safetynet.core.tabular import write_error_sheet

    sheet = load_workbook(io.BytesIO(write_error_sheet(result.columns, result.errors))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == len(bad) + 1 and rows[1][0] == first and "check digit" in rows[1][2]
    assert rows[1][3 + result.columns.index("name")] == "赵甲"


def test_sex_and_birth_date_columns_must_agree(worker, village):
    number = new_id(birth=dt.date(1970, 5, 17), sex="male")
    header = [*HEADER, "性别", "出生日期"]
    rows = [["H1", village.code, "北街", "农村", "钱一", number, "户主", "", "", "", "", "", "女", ""],
            ["H2", village.code, "北街", "农村", "钱二", new_id(birth=dt.date(1970, 5, 17)), "户主", "", "", "", "", "", "", "1980-01-01"]]
    result = import_roster(actor=worker, source=xlsx(rows, header=header), filename="r.xlsx", area_code=TOWN)
    fields = sorted(e.field for e in result.errors)
    assert fields == ["birth_date", "sex"]
    assert any("female" in e.message and "male" in e.message for e in result.errors)


def test_missing_columns(worker):
    with pytest.raises(ValidationError) as err:
        import_roster(actor=worker, source=xlsx([["H1", "x"]], header=["户编号", "姓名"]), filename="r.xlsx", area_code=TOWN)
    assert err.value.code == "missing_columns" and "id_number" in err.value.message


def test_merged_header(worker, good_rows):
    with pytest.raises(ValidationError) as err:
        import_roster(actor=worker, source=xlsx(good_rows, merge="A1:B1"), filename="r.xlsx", area_code=TOWN)
    assert err.value.code == "merged_header"


def test_csv_and_default_area(worker, village):
    rows = [["household_ref", "address", "registration_type", "name", "id_number", "relation_to_head"],
            ["C1", "村口", "rural", "孙一", new_id(), "head"]]
    text = "\n".join(",".join(r) for r in rows).encode("utf-8")
    result = import_roster(actor=worker, source=io.BytesIO(text), filename="r.csv", area_code=village.code)
    assert not result.errors and result.persons_created == 1
    assert Household.objects.get(external_ref="C1").area_id == village.code
    with pytest.raises(ValidationError) as err:  # a town is no household area: the column is needed then
        import_roster(actor=worker, source=io.BytesIO(text), filename="r.csv", area_code=TOWN)
    assert "area_code" in err.value.message


def test_import_denied(make_actor, good_rows):
    with pytest.raises(PermissionDenied):
        import_roster(actor=make_actor("grid_worker", TOWN), source=xlsx(good_rows), filename="r.xlsx", area_code=TOWN)
    with pytest.raises(NotFound):
        import_roster(actor=make_actor("town_worker", OTHER_TOWN), source=xlsx(good_rows), filename="r.xlsx", area_code=TOWN)
    assert not Household.objects.exists()



def test_import_page_report_and_error_sheet(client_for, village, good_rows, immediate_jobs):
    client = client_for("town_worker", TOWN)
    assert client.get(reverse("registry:import")).status_code == 200
    upload = xlsx(good_rows + [["H9", village.code, "x", "农村", "坏", "123", "户主", "", "", "", "", ""]])
    upload.name = "roster.xlsx"
    response = client.post(reverse("registry:import"), {"file": upload, "area": TOWN})
    assert response.status_code == 302
    report_url = client.get(response["Location"])["Location"]      # the upload's job, done, opens on its report
    report = client.get(report_url)
    html = report.content.decode()
    assert report.status_code == 200 and 'data-testid="count-persons">5<' in html and 'data-testid="count-errors">1<' in html
    sheet_url = report_url + "errors.xlsx"
    sheet = client.get(sheet_url)
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.getvalue())).active.iter_rows(values_only=True))
    assert rows[1][0] == len(good_rows) + 2
    other = client_for("town_worker", TOWN)  # a new user logs in on the same client
    assert other.get(sheet_url).status_code == 404


def test_import_page_shows_header_errors(client_for, good_rows, immediate_jobs):
    client = client_for("town_worker", TOWN)
    upload = xlsx(good_rows, merge="A1:C1")
    upload.name = "roster.xlsx"
    response = client.post(reverse("registry:import"), {"file": upload})
    page = client.get(response["Location"])           # the upload's job failed with the service's reason
    html = page.content.decode()
    assert page.status_code == 200 and "A1:C1" in html and 'data-status="failed"' in html


def test_import_page_denied_to_grid_worker(client_for, county):
    assert client_for("grid_worker", TOWN).get(reverse("registry:import")).status_code == 403


def test_command(county, village, good_rows, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx(good_rows).getvalue())
    call_command("registry_import", str(path), "--area", TOWN)
    assert Person.objects.count() == 5
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(good_rows + [["H9", village.code, "x", "农村", "坏", "123", "户主", "", "", "", "", ""]]).getvalue())
    sheet = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError):
        call_command("registry_import", str(bad), "--area", TOWN, "--error-sheet", str(sheet))
    assert sheet.exists() and Person.objects.count() == 5
