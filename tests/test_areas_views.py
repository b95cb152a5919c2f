"""The network pages: the tree (scope, counts, htmx children, breadcrumb, search, editing) and
the import page (upload, report, error sheet kept for its owner only)."""
from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest

from tests.conftest import COUNTY, DIVISIONS, OTHER_TOWN, TOWN

_sequence = itertools.count(1)


def add_household(area_code: str, members: int = 1):
    """A household with `members` people, written directly (registry services are not under test)."""
    from safetynet.core.idnumbers import make_id_number
    from safetynet.registry.models import Household, Person

    household = Household.objects.create(area_id=area_code, address="测试地址", registration_type="rural")
    for _ in range(members):
        n = next(_sequence)
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=n)
        Person.objects.create(household=household, area_id=area_code, name=f"测{n}", sex="male", birth_date=birth,
                              relation_to_head="head", id_number=make_id_number("130123", birth, n % 50, "male"))
    return household


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    """Reports go to a throw-away MEDIA_ROOT; pages are checked in English, whatever translations ship."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


# --- tree ----------------------------------------------------------------------------------

def test_town_worker_sees_own_town_not_the_other(client_for, county):
    client = client_for("town_worker", TOWN)
    response = client.get("/areas/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "正定镇" in page
    assert "恒东社区居民委员会" in page                       # a village of the town
    codes = {c["code"] for c in response.context["children"]}
    assert codes and all(c.startswith(TOWN) for c in codes)
    assert len(codes) == 52
    assert client.get(f"/areas/?code={OTHER_TOWN}").status_code == 404
    assert client.get(f"/areas/?code={COUNTY}").status_code == 404   # its own county is above its scope
    assert client.get("/areas/?code=nonsense").status_code == 404


def test_counts_under_each_node(client_for, county):
    from safetynet.areas.models import Area

    villages = list(Area.objects.filter(parent_id=TOWN).order_by("code")[:2])
    add_household(villages[0].code, members=3)
    add_household(villages[0].code, members=2)
    add_household(villages[1].code, members=1)
    other = Area.objects.filter(parent_id=OTHER_TOWN).first()
    add_household(other.code, members=4)

    client = client_for("county_officer", COUNTY)
    by_code = {c["code"]: c for c in client.get("/areas/").context["children"]}
    assert (by_code[TOWN]["households"], by_code[TOWN]["people"]) == (3, 6)
    assert (by_code[OTHER_TOWN]["households"], by_code[OTHER_TOWN]["people"]) == (1, 4)
    assert by_code[TOWN]["children"] == 52

    response = client.get(f"/areas/?code={TOWN}")
    assert response.context["counts"]["households"] == 3
    assert response.context["counts"]["people"] == 6
    by_code = {c["code"]: c for c in response.context["children"]}
    assert (by_code[villages[0].code]["households"], by_code[villages[0].code]["people"]) == (2, 5)
    assert (by_code[villages[1].code]["households"], by_code[villages[1].code]["people"]) == (1, 1)
    assert by_code[villages[0].code]["urban_rural_class"] == villages[0].urban_rural_class


def test_subtree_totals_count_households_at_the_node_itself(client_for, county):
    """The totals are summed from the per-child groups (one grouped query per table): a household
    registered on the town's own code, under no village, still counts, on the tree and at home,
    and the other town's does not."""
    from safetynet.areas.models import Area

    village = Area.objects.filter(parent_id=TOWN).order_by("code").first()
    add_household(village.code, members=2)
    add_household(TOWN, members=3)
    add_household(Area.objects.filter(parent_id=OTHER_TOWN).first().code, members=4)

    client = client_for("town_worker", TOWN)
    for path in (f"/areas/?code={TOWN}", "/areas/", "/"):
        counts = client.get(path).context["counts"]
        assert (counts["households"], counts["people"]) == (2, 5), path
    assert client.get("/").context["counts"]["areas"] == Area.objects.filter(code__startswith=TOWN).count() - 1


def test_tree_queries_do_not_grow_with_children(client_for, county, django_assert_max_num_queries):
    """Counts come from one grouped query per table, not one per child (52 villages here)."""
    client = client_for("town_worker", TOWN)
    client.get("/areas/")  # warm the session
    with django_assert_max_num_queries(15):
        assert client.get(f"/areas/?code={TOWN}").status_code == 200


def test_children_partial_for_htmx(client_for, county):
    client = client_for("town_worker", TOWN)
    response = client.get(f"/areas/children/?code={TOWN}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "恒东社区居民委员会" in body and "130123100001" in body
    assert client.get(f"/areas/children/?code={OTHER_TOWN}", HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(f"/areas/children/?code={TOWN}").status_code == 302  # without htmx: the full page


def test_breadcrumb_links_only_within_scope(client_for, county, village):
    client = client_for("county_officer", COUNTY)
    response = client.get(f"/areas/?code={village.code}")
    crumbs = response.context["crumbs"]
    assert [(c["code"], c["in_scope"]) for c in crumbs] == [("13", False), ("1301", False), (COUNTY, True), (TOWN, True)]
    page = response.content.decode()
    assert f'href="/areas/?code={COUNTY}"' in page
    assert 'href="/areas/?code=13"' not in page and "河北省" in page


def test_search_within_scope_paginated(client_for, county):
    client = client_for("town_worker", TOWN)
    response = client.get("/areas/?q=社区")
    assert response.status_code == 200
    assert response.context["count"] > 0
    assert all(a.code.startswith(TOWN) for a in response.context["results"])
    response = client.get("/areas/?q=1301231000")
    assert {a.code[:9] for a in response.context["results"]} == {TOWN}
    expected = sum(1 for line in DIVISIONS.read_text(encoding="utf-8").splitlines() if line.startswith("1301231000"))
    assert response.context["count"] == expected > 0

    officer = client_for("county_officer", COUNTY)
    first = officer.get("/areas/?q=村")
    assert first.context["count"] > 50
    assert len(first.context["results"]) == 50
    last = first.context["results"][-1].code
    assert first.context["next_url"] == f"?q=%E6%9D%91&after={last}"
    assert f"?q=%E6%9D%91&amp;after={last}" in first.content.decode()
    second = officer.get(f"/areas/?q=村&after={last}")
    codes = [a.code for a in second.context["results"]]
    assert codes and min(codes) > last and second.context["first_url"] == "?q=%E6%9D%91"


def test_search_does_not_leak_the_other_town(client_for, county):
    from safetynet.areas.models import Area

    other = Area.objects.filter(parent_id=OTHER_TOWN).first()
    client = client_for("town_worker", TOWN)
    assert client.get(f"/areas/?q={other.name}").context["count"] == 0
    assert client.get(f"/areas/?q={other.code}").context["count"] == 0


def test_officer_adds_a_group_and_renames_from_the_page(client_for, county, village):
    from safetynet.areas.models import Area

    client = client_for("county_officer", COUNTY)
    page = client.get(f"/areas/?code={village.code}").content.decode()
    assert f"/areas/{village.code}/add/" in page and f"/areas/{village.code}/rename/" in page
    response = client.post(f"/areas/{village.code}/add/", {"add-name": "一组"})
    assert response.status_code == 302
    assert Area.objects.get(code=village.code + "001").name == "一组"
    client.post(f"/areas/{village.code}/add/", {"add-name": "二组"})
    assert Area.objects.get(code=village.code + "002").level == "group"
    response = client.post(f"/areas/{village.code}001/add/", {"add-name": "一网格"})
    assert Area.objects.get(code=village.code + "001001").level == "grid"

    response = client.post(f"/areas/{village.code}/rename/", {"rename-name": "新名村"})
    assert response.status_code == 302
    assert Area.objects.get(code=village.code).name == "新名村"


def test_failed_edits_show_the_reason_and_keep_the_input(client_for, county, village):
    client = client_for("county_officer", COUNTY)
    response = client.post(f"/areas/{village.code}/rename/", {"rename-name": ""})
    assert response.status_code == 422
    assert response.context["rename_form"].errors
    response = client.post(f"/areas/{TOWN}/add/", {"add-name": "镇下一组"})  # groups go under villages
    assert response.status_code == 422
    assert 'data-testid="form-errors"' in response.content.decode()
    assert "Groups are added under a village" in response.content.decode()
    long_name = "长" * 101
    response = client.post(f"/areas/{village.code}/add/", {"add-name": long_name})
    assert response.status_code == 422
    assert long_name in response.content.decode()
    assert response.context["add_form"].errors["name"]


def test_town_page_has_no_add_form(client_for, county):
    client = client_for("county_officer", COUNTY)
    page = client.get(f"/areas/?code={TOWN}").content.decode()
    assert f"/areas/{TOWN}/add/" not in page
    assert f"/areas/{TOWN}/rename/" in page


def test_edits_denied_to_other_roles_and_areas(client_for, county, village, other_village):
    from safetynet.areas.models import Area

    worker = client_for("town_worker", TOWN)
    page = worker.get(f"/areas/?code={village.code}").content.decode()
    assert "/add/" not in page and "/rename/" not in page
    assert worker.post(f"/areas/{village.code}/add/", {"add-name": "一组"}).status_code == 403
    assert worker.post(f"/areas/{village.code}/rename/", {"rename-name": "x"}).status_code == 403

    village_officer = client_for("county_officer", village.code)  # scope: that one village
    assert village_officer.post(f"/areas/{other_village.code}/add/", {"add-name": "一组"}).status_code == 404
    assert village_officer.post(f"/areas/{other_village.code}/rename/", {"rename-name": "x"}).status_code == 404
    assert not Area.objects.filter(level="group").exists()
    assert Area.objects.get(code=other_village.code).name == other_village.name


def test_anonymous_and_postless_users(client, county, django_user_model):
    assert client.get("/areas/").status_code == 302
    user = django_user_model.objects.create_user("nobody", password="correct-horse-battery-9")
    client.force_login(user)
    assert client.get("/areas/").status_code == 403


# --- import page ---------------------------------------------------------------------------

def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


BAD_FILE = "\n".join([
    "code,name,urban_rural_class",
    f"{TOWN}950,新村,220",
    f"{TOWN}951,错类村,999",
    f"{TOWN}950,重复村,220",
    "130199100001,外县村,220",
]).encode("utf-8")



def test_import_page_only_for_county_officers(client_for, county):
    assert client_for("town_worker", TOWN).get("/areas/import/").status_code == 403
    officer = client_for("county_officer", COUNTY)
    assert officer.get("/areas/import/").status_code == 200


def test_import_good_file_shows_counts(client_for, county, village, immediate_jobs):
    client = client_for("county_officer", COUNTY)
    content = f"统计用区划代码,名称,城乡分类代码\n{village.code},改名村,{village.urban_rural_class}\n{TOWN}960,新增村,220\n{TOWN},正定镇,\n".encode()
    response = client.post("/areas/import/", {"file": upload("正定.csv", content)})
    assert response.status_code == 302
    report = client.get(response["Location"], follow=True)
    assert report.status_code == 200
    assert report.context["counts"] == {"added": 1, "renamed": 1, "reclassified": 0, "unchanged": 1, "without_class": 0, "errors": 0}
    assert 'data-testid="count-added">1<' in report.content.decode()


def test_import_bad_rows_table_and_error_sheet(client_for, county, immediate_jobs):
    from openpyxl import load_workbook

    client = client_for("county_officer", COUNTY)
    response = client.post("/areas/import/", {"file": upload("bad.csv", BAD_FILE)})
    report_url = client.get(response["Location"])["Location"]      # the upload's job, done, opens on its report
    report = client.get(report_url)
    assert report.context["counts"]["added"] == 1
    assert [e["row"] for e in report.context["page"]] == [3, 4, 5]
    sheet_url = report_url + "errors.xlsx"
    assert sheet_url in report.content.decode()
    sheet = client.get(sheet_url)
    assert sheet.status_code == 200
    assert sheet["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(sheet.getvalue())).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [3, 4, 5]
    assert rows[1][3:6] == ("bad.csv", f"{TOWN}951", "错类村")

    # Another officer cannot open someone else's report or sheet.
    client.logout()
    stranger = client_for("county_officer", COUNTY)
    assert stranger.get(report_url).status_code == 404
    assert stranger.get(sheet_url).status_code == 404


def test_import_report_ids_are_checked(client_for, county):
    client = client_for("county_officer", COUNTY)
    assert client.get("/areas/import/..%2F..%2Fsecret/").status_code == 404
    assert client.get("/areas/import/" + "a" * 24 + "/").status_code == 404


@pytest.mark.parametrize("name,content,words", [
    ("list.xlsx", b"code,name\n13,x\n", "Excel"),
    ("list.csv", "名称,城乡分类代码\n河北省,\n".encode(), "Missing columns"),
    ("list.pdf", b"%PDF-1.4", ".pdf"),
])
def test_import_unreadable_file_says_why(client_for, county, name, content, words, immediate_jobs):
    client = client_for("county_officer", COUNTY)
    response = client.post("/areas/import/", {"file": upload(name, content)})
    page = client.get(response["Location"])           # the upload's job failed with the service's reason
    assert page.status_code == 200 and 'data-status="failed"' in page.content.decode()
    assert words in page.content.decode()


def test_import_without_a_file(client_for, county):
    client = client_for("county_officer", COUNTY)
    response = client.post("/areas/import/", {})
    assert response.status_code == 422
    assert response.context["form"].errors["file"]
