"""The statistics bureau's 2023 list imported as it ships (tests/data/divisions-subset: its five
files cut down to Kinmen, Shenzhen's 罗湖区 and Dongguan, a city without counties): several files
in any order, villages without a class, re-imports that change nothing, every bad row with its
file and row, and scope under a city that acts as its own county (ADR 0006)."""
from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

PACKAGE = Path(__file__).resolve().parent / "data" / "divisions-subset"
ROWS = 2 + 3 + 3 + 5 + 13
DONGGUAN, DONGGUAN_COUNTY, DONGGUAN_TOWN, DONGGUAN_OTHER_TOWN = "4419", "441900", "441900003", "441900004"


def package_sources(order=None):
    from safetynet.areas.services import division_files

    files = division_files(PACKAGE)
    if order is not None:
        files = [files[i] for i in order]
    return [(path.name, path) for path in files]


def import_package(actor, sources=None, **kwargs):
    from safetynet.areas.services import import_divisions

    return import_divisions(actor=actor, sources=sources or package_sources(), **kwargs)


@pytest.fixture
def package(db, system):
    return import_package(system)


def test_the_package_imports_as_shipped(package):
    from safetynet.areas.models import Area

    assert package.errors == []
    assert (package.added, package.unchanged, package.without_class) == (ROWS, 0, 13)
    assert Area.objects.count() == ROWS
    # Dongguan: the city acts as its county through the county-level row the list ships (441900).
    county = Area.objects.get(code=DONGGUAN_COUNTY)
    assert (county.name, county.level, county.parent_id) == ("东莞市", "county", DONGGUAN)
    assert Area.objects.get(code=DONGGUAN_TOWN).parent_id == DONGGUAN_COUNTY
    # Kinmen: a county the list has no data for, with a placeholder town and village numbered 000.
    assert Area.objects.get(code="350527000").parent_id == "350527"
    kinmen = Area.objects.get(code="350527000000")
    assert (kinmen.level, kinmen.parent_id, kinmen.name) == ("village", "350527000", "金门县")
    # No class in the list: stored unknown, never guessed.
    village = Area.objects.get(code="441900003001")
    assert village.urban_rural_class == "" and village.class_unknown
    assert not Area.objects.get(code=DONGGUAN_TOWN).class_unknown


def test_files_in_any_order_and_progress(db, system):
    from safetynet.areas.models import Area

    calls = []
    result = import_package(system, package_sources(order=[4, 2, 0, 3, 1]), progress=lambda done, total: calls.append((done, total)))
    assert (result.added, result.errors) == (ROWS, [])
    assert result.files == ["provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"]
    assert Area.objects.get(code="441900004003").parent_id == DONGGUAN_OTHER_TOWN
    assert calls[-1] == (ROWS, ROWS)


def test_a_reimport_changes_nothing(package, system):
    from safetynet.areas.models import Area

    before = dict(Area.objects.values_list("code", "updated_at"))
    again = import_package(system)
    assert (again.added, again.renamed, again.reclassified, again.unchanged, again.errors) == (0, 0, 0, ROWS, [])
    assert dict(Area.objects.values_list("code", "updated_at")) == before


def test_a_reimport_without_classes_keeps_the_classes_set(package, system):
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions

    set_class = import_divisions(actor=system, source=io.BytesIO("代码,名称,城乡分类代码\n441900003001,岗贝社区居民委员会,111\n".encode()),
                                 filename="classes.csv")
    assert (set_class.reclassified, set_class.errors, set_class.without_class) == (1, [], 0)
    again = import_package(system)
    assert (again.unchanged, again.reclassified, again.without_class) == (ROWS, 0, 12)
    assert Area.objects.get(code="441900003001").urban_rural_class == "111"


def test_the_legacy_layout_with_padded_codes_still_imports(db, system):
    """Dongguan in the old layout, codes padded to 12 digits and no county-level row: the city
    acts as its county, added under the city's name."""
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions

    source = io.BytesIO("\n".join([
        "统计用区划代码,名称,城乡分类代码", "440000000000,广东省,", "441900000000,东莞市,",
        "441900003000,东城街道,", "441900003001,岗贝社区居民委员会,111",
    ]).encode())
    result = import_divisions(actor=system, source=source, filename="东莞.csv")
    assert (result.added, result.errors, result.cities_as_counties) == (5, [], [DONGGUAN_COUNTY])
    assert Area.objects.get(code=DONGGUAN_COUNTY).name == "东莞市"
    assert Area.objects.get(code="441900003001").urban_rural_class == "111"


def test_the_legacy_layout_takes_the_county_level_row_of_a_city_without_counties(db, system):
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions

    source = io.BytesIO("\n".join([
        "code,name,urban_rural_class", "44,广东省,", "4419,东莞市,", "441900,东莞市,", "441900003,东城街道,",
    ]).encode())
    result = import_divisions(actor=system, source=source, filename="东莞.csv")
    assert (result.added, result.errors, result.cities_as_counties) == (4, [], [])
    assert Area.objects.get(code=DONGGUAN_COUNTY).level == "county"


def write_package(tmp_path, **replace) -> Path:
    folder = tmp_path / "package"
    shutil.copytree(PACKAGE, folder)
    for name, lines in replace.items():
        path = folder / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_every_bad_row_is_reported_with_its_file_and_row(db, system, tmp_path):
    from safetynet.areas.models import Area
    from safetynet.areas.services import division_files, import_divisions

    folder = write_package(tmp_path, streets=[
        '441900999,"错县镇",440303,44,4419',            # 7: says it lies under 440303
    ], villages=[
        '441900003001,"重复村",441900003,44,4419,441900',   # 15: appears again (row 9)
        '441900003901,"无镇村",441900005,44,4419,441900',   # 16: says its town is another
        '441900005001,"孤村",441900005,44,4419,441900',     # 17: town 441900005 is nowhere
        '44190000300A,"坏码村",441900003,44,4419,441900',   # 18: not digits
        '441900003902,"",441900003,44,4419,441900',         # 19: no name
    ])
    result = import_divisions(actor=system, sources=[(p.name, p) for p in division_files(folder)])
    found = {(e.file, e.row): (e.field, e.message) for e in result.errors}
    assert sorted(found) == [("streets.csv", 7), ("villages.csv", 15), ("villages.csv", 16), ("villages.csv", 17),
                             ("villages.csv", 18), ("villages.csv", 19)]
    assert found[("streets.csv", 7)][0] == "county_code" and "440303" in found[("streets.csv", 7)][1]
    assert "row 9 of villages.csv" in found[("villages.csv", 15)][1]
    assert "441900005" in found[("villages.csv", 16)][1]
    assert "neither in the file nor in the network" in found[("villages.csv", 17)][1]
    assert found[("villages.csv", 19)][0] == "name"
    assert result.added == ROWS
    assert not Area.objects.filter(code__in=["441900999", "441900003901", "441900005001"]).exists()
    assert result.errors[0].as_dict() == {"file": "streets.csv", "row": 7, "field": "county_code",
                                          "message": found[("streets.csv", 7)][1]}


def test_the_command_takes_a_folder_or_several_files(db, tmp_path):
    from safetynet.areas.models import Area

    out, err = io.StringIO(), io.StringIO()
    call_command("areas_import", str(PACKAGE), stdout=out, stderr=err)
    assert f"added {ROWS}" in out.getvalue() and "13 villages have no urban-rural class" in out.getvalue()
    files = [str(PACKAGE / f"{name}.csv") for name in ("villages", "streets", "areas", "cities", "provinces")]
    out = io.StringIO()
    call_command("areas_import", *files, stdout=out, stderr=err)
    assert f"unchanged {ROWS}" in out.getvalue() and "added 0" in out.getvalue()
    assert Area.objects.count() == ROWS


def test_the_import_page_takes_several_files(client_for, package, immediate_jobs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("county_officer", DONGGUAN_COUNTY)
    uploads = [SimpleUploadedFile(name, (PACKAGE / name).read_bytes(), content_type="text/csv")
               for name in ("villages.csv", "streets.csv")]
    response = client.post("/areas/import/", {"file": uploads})
    assert response.status_code == 302
    done = client.get(response["Location"])      # the upload's job (run at once here) ends on its report
    assert done.status_code == 302
    report = client.get(done["Location"])
    counts = report.context["counts"]
    # Dongguan's 2 towns and 6 villages are the officer's; the rest of each file is outside.
    assert (counts["unchanged"], counts["without_class"]) == (8, 6)
    assert {e["file"] for e in report.context["page"]} == {"villages.csv", "streets.csv"}
    assert 'data-testid="without-class"' in report.content.decode()


# --- a city without counties: scope ---------------------------------------------------------

def test_a_town_post_in_dongguan_sees_only_its_town(package, client_for):
    client = client_for("town_worker", DONGGUAN_TOWN)
    codes = [i["code"] for i in client.get("/api/v1/areas", {"limit": 500}).json()["items"]]
    assert codes and all(c.startswith(DONGGUAN_TOWN) for c in codes)
    assert client.get(f"/api/v1/areas/{DONGGUAN_OTHER_TOWN}").status_code == 404
    assert client.get(f"/api/v1/areas/{DONGGUAN_COUNTY}").status_code == 404


@pytest.mark.parametrize("post_area", [DONGGUAN_COUNTY, DONGGUAN])
def test_a_county_level_post_in_dongguan_sees_its_towns_and_nothing_else(package, make_actor, post_area):
    from safetynet.areas.selectors import areas_in_scope

    actor = make_actor("county_officer", post_area)
    codes = set(areas_in_scope(actor).values_list("code", flat=True))
    assert {DONGGUAN_TOWN, DONGGUAN_OTHER_TOWN, "441900004006"} <= codes
    assert all(c.startswith(post_area) for c in codes)
    assert not any(c.startswith("4403") or c.startswith("35") for c in codes)


def test_payroll_runs_for_dongguan_at_its_county_level(package, make_actor):
    from safetynet.core.errors import NotFound, ValidationError
    from safetynet.payroll.services import generate_payroll_run

    run = generate_payroll_run(actor=make_actor("county_officer", DONGGUAN_COUNTY), county_code=DONGGUAN_COUNTY,
                               month=dt.date(2026, 1, 1))
    assert run.area_id == DONGGUAN_COUNTY and run.payment_count == 0
    with pytest.raises(NotFound):   # another county-level unit is outside the post
        generate_payroll_run(actor=make_actor("county_officer", DONGGUAN_COUNTY), county_code="440303",
                             month=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError):  # the city itself is not where payroll runs
        generate_payroll_run(actor=make_actor("county_officer", DONGGUAN), county_code=DONGGUAN, month=dt.date(2026, 1, 1))


# --- villages without a class ---------------------------------------------------------------

def test_villages_without_class_are_listed_on_the_tree(package, client_for):
    client = client_for("county_officer", DONGGUAN_COUNTY)
    node = client.get(f"/areas/?code={DONGGUAN_TOWN}")
    assert node.context["counts"]["without_class"] == 3
    assert 'data-testid="without-class"' in node.content.decode()
    listed = client.get(f"/areas/?needs_class=1&code={DONGGUAN_COUNTY}")
    assert listed.status_code == 200
    assert [v.code for v in listed.context["villages"]] == [
        "441900003001", "441900003002", "441900003003", "441900004003", "441900004005", "441900004006"]
    assert listed.context["count"] == 6
    assert client.get("/areas/?needs_class=1&code=440303").status_code == 404   # outside the post


def test_no_standard_is_picked_for_a_village_without_class(package, make_actor):
    from safetynet.cases.snapshots import village_is_urban
    from safetynet.core.errors import ValidationError
    from safetynet.programs.selectors import dibao_parameters, temporary_parameters

    for read in (lambda: dibao_parameters("441900003001", dt.date(2026, 1, 1)),
                 lambda: temporary_parameters("441900003001", dt.date(2026, 1, 1)),
                 lambda: village_is_urban("441900003001")):
        with pytest.raises(ValidationError) as caught:
            read()
        assert caught.value.code == "class_unknown" and "441900003001" in caught.value.message
