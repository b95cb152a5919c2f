"""Importing department snapshots (issue 4, part 1): every bad input refused with a clear report and
nothing stored half; an identical re-send recognised; a department's token limited to its own datasets."""
from __future__ import annotations

import datetime as dt

import pytest

from safetynet.core.errors import PermissionDenied, ValidationError
from safetynet.core.idnumbers import make_id_number
from safetynet.verification.errors import SnapshotRejected, WrongDepartment
from safetynet.verification.models import Snapshot
from safetynet.verification.services import import_snapshot, register_department_account
from tests.verification_helpers import csv_bytes, parquet_bytes, xlsx_bytes

ID1 = make_id_number("130123", dt.date(1970, 3, 1), 1, "male")
ID2 = make_id_number("130123", dt.date(1980, 6, 1), 2, "female")
HEADER = ["id_number", "name", "bank", "balance", "as_of"]
GOOD = [[ID1, "张三", "中国农业银行", "1200.50", "2026-01-31"], [ID2, "李四", "中国银行", "300", "2026-01-31"]]


def stored_files(root):
    folder = root / "verification" / "deposits"
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def events(action):
    from safetynet.core.models import AuditEvent

    return AuditEvent.objects.filter(action=action)


@pytest.mark.django_db
def test_csv_snapshot_is_stored_as_parquet_with_its_index(vdata, officer):
    result = import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, GOOD), filename="存款.csv",
                             taken_on=dt.date(2026, 2, 1))
    snapshot = result.snapshot
    assert result.created and snapshot.row_count == 2 and snapshot.status == "current"
    assert snapshot.department == "finance" and snapshot.uploaded_by == officer.username
    assert snapshot.identities == {"exact": 2, "legacy": 0, "bad_check": 0, "missing": 0}
    assert snapshot.path.endswith(f"{snapshot.content_hash}.parquet")
    assert stored_files(vdata) == sorted([f"{snapshot.content_hash}.parquet", f"{snapshot.content_hash}.duckdb"])
    import duckdb

    rows = duckdb.connect().execute(f"SELECT id_number, balance, as_of FROM read_parquet('{vdata / snapshot.path}') ORDER BY 1").fetchall()
    assert [(r[0], str(r[1]), r[2]) for r in rows] == sorted([(ID1, "1200.50", dt.date(2026, 1, 31)), (ID2, "300.00", dt.date(2026, 1, 31))])
    assert events("verification.import_snapshot").count() == 1


@pytest.mark.django_db
def test_excel_and_parquet_files_are_read_too(vdata, officer):
    xlsx = import_snapshot(actor=officer, dataset_code="deposits", source=xlsx_bytes(HEADER, GOOD), filename="存款.xlsx")
    assert xlsx.snapshot.row_count == 2
    import pyarrow as pa
    from decimal import Decimal

    body = parquet_bytes({"id_number": [ID1], "bank": ["中国银行"], "balance": pa.array([Decimal("5.00")], pa.decimal128(14, 2)),
                          "as_of": [dt.date(2026, 1, 1)]})
    parquet = import_snapshot(actor=officer, dataset_code="deposits", source=body, filename="deposits.parquet")
    assert parquet.snapshot.row_count == 1
    assert Snapshot.objects.get(status="current", dataset="deposits").pk == parquet.snapshot.pk


@pytest.mark.django_db
def test_chinese_headers_and_gb18030_csv(vdata, officer):
    body = csv_bytes(["身份证号码", "姓名", "单位", "月份", "应发工资", "实发工资"],
                     [[ID1, "张三", "正定县建筑公司", "2026-01", "5,000.00", "4000"]], encoding="gb18030")
    result = import_snapshot(actor=officer, dataset_code="hrss_wages", source=body, filename="工资.csv")
    assert result.snapshot.row_count == 1


@pytest.mark.django_db
def test_wrong_column_names_are_one_error_naming_them(vdata, officer):
    body = csv_bytes(["id_number", "姓名", "bank_name", "amount", "as_of"], GOOD)
    with pytest.raises(ValidationError) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=body, filename="deposits.csv")
    error = caught.value
    assert error.code == "wrong_columns" and error.field == "file"
    assert "bank_name" in error.message and "amount" in error.message
    assert "missing columns: bank, balance" in error.message
    assert error.details["unknown"] == ["bank_name", "amount"] and error.details["missing"] == ["bank", "balance"]
    assert not Snapshot.objects.exists() and stored_files(vdata) == []
    assert events("verification.import_rejected").count() == 1


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_row_column_and_reason(vdata, officer):
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    rows = GOOD + [
        [ID1[:10] + "ABC", "王五", "中国银行", "10", "2026-01-31"],     # row 4: not an ID number
        [make_id_number("130123", dt.date(1990, 1, 1), 3, "male"), "赵六", "中国银行", "ten", "2026-01-31"],  # 5: wrong type
        [make_id_number("130123", dt.date(1991, 1, 1), 4, "male"), "钱七", "中国银行", "-5", "2026-13-01"],  # 6: negative, bad date
        [make_id_number("130123", dt.date(1992, 1, 1), 5, "male"), "孙八", "中国银行", "5", tomorrow],       # 7: future
        [ID1, "张三", "中国农业银行", "99", "2026-01-31"],                  # 8: duplicate key of row 2
        ["", "", "中国银行", "1", "2026-01-31"],                           # 9: no identity
        [make_id_number("130123", dt.date(1993, 1, 1), 6, "male"), "周九", "", "1", "2026-01-31"],           # 10: required
    ]
    with pytest.raises(SnapshotRejected) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, rows), filename="deposits.csv")
    problems = {(b.row, b.column): b.reason for b in caught.value.bad_rows}
    assert problems[(4, "id_number")].startswith("Not an ID number")
    assert problems[(5, "balance")] == "Not an amount in yuan."
    assert problems[(6, "balance")] == "Cannot be negative."
    assert problems[(6, "as_of")] == "Not a date (YYYY-MM-DD)."
    assert problems[(7, "as_of")] == "This date is in the future."
    assert problems[(8, "id_number, bank")] == "Duplicate key (id_number, bank): the same as row 2."
    assert problems[(9, "id_number")].startswith("No ID number")
    assert problems[(10, "bank")] == "A value is required."
    assert len(problems) == 8
    assert caught.value.details["count"] == 8 and caught.value.status == 422
    assert not Snapshot.objects.exists() and stored_files(vdata) == []


@pytest.mark.django_db
def test_records_without_a_valid_id_are_kept_for_identity_resolution(vdata, officer):
    legacy = ID1[:6] + ID1[8:17]
    wrong = ID2[:17] + ("0" if ID2[17] != "0" else "1")
    rows = [[ID1, "张三", "A银行", "1", "2026-01-31"], [legacy, "张三", "B银行", "1", "2026-01-31"],
            [wrong, "李四", "A银行", "1", "2026-01-31"]]
    header = HEADER + ["birth_date"]
    rows = [r + [""] for r in rows] + [["", "王五", "A银行", "1", "2026-01-31", "1960-02-03"]]
    result = import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(header, rows), filename="d.csv")
    assert result.snapshot.identities == {"exact": 1, "legacy": 1, "bad_check": 1, "missing": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("filename,body,found", [
    ("deposits.csv", "xlsx", "xlsx"),
    ("deposits.xlsx", "csv", "csv"),
    ("deposits.parquet", "csv", "csv"),
    ("deposits.csv", "parquet", "parquet"),
    ("deposits.csv", "binary", "binary"),
])
def test_a_file_that_is_not_what_its_extension_says(vdata, officer, filename, body, found):
    import pyarrow as pa

    content = {"csv": csv_bytes(HEADER, GOOD), "xlsx": xlsx_bytes(HEADER, GOOD),
               "parquet": parquet_bytes({"id_number": pa.array([ID1])}), "binary": b"\x00\x01\x02garbage" * 10}[body]
    with pytest.raises(ValidationError) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=content, filename=filename)
    assert caught.value.code == "wrong_file_kind"
    assert caught.value.details["found"] == found
    assert "deposits" in caught.value.message
    assert not Snapshot.objects.exists() and stored_files(vdata) == []


@pytest.mark.django_db
def test_unknown_extension_and_dataset(vdata, officer):
    with pytest.raises(ValidationError) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=b"x", filename="deposits.pdf")
    assert caught.value.code == "unsupported_file"
    with pytest.raises(ValidationError) as caught:
        import_snapshot(actor=officer, dataset_code="lottery_wins", source=b"x", filename="x.csv")
    assert caught.value.field == "dataset"


@pytest.mark.django_db
def test_identical_resend_is_recognised_and_not_stored_twice(vdata, officer):
    body = csv_bytes(HEADER, GOOD)
    first = import_snapshot(actor=officer, dataset_code="deposits", source=body, filename="d.csv")
    again = import_snapshot(actor=officer, dataset_code="deposits", source=body, filename="d-again.csv")
    assert first.created and not again.created and again.duplicate
    assert again.snapshot.pk == first.snapshot.pk
    assert Snapshot.objects.count() == 1 and len(stored_files(vdata)) == 2
    assert events("verification.import_duplicate").count() == 1


@pytest.mark.django_db
def test_newer_snapshot_becomes_current_older_one_does_not(vdata, officer):
    first = import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, GOOD), filename="d.csv",
                            taken_on=dt.date(2026, 2, 1)).snapshot
    newer = import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, GOOD[:1]), filename="d.csv",
                            taken_on=dt.date(2026, 3, 1)).snapshot
    late = import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, GOOD[1:]), filename="d.csv",
                           taken_on=dt.date(2026, 1, 1)).snapshot
    statuses = dict(Snapshot.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "superseded", newer.pk: "current", late.pk: "superseded"}


@pytest.mark.django_db
def test_taken_on_cannot_be_in_the_future(vdata, officer):
    with pytest.raises(ValidationError) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, GOOD), filename="d.csv",
                        taken_on=dt.date.today() + dt.timedelta(days=5))
    assert caught.value.field == "taken_on"


# --- who may import -------------------------------------------------------------------------

@pytest.mark.django_db
def test_town_worker_may_not_import(vdata, make_actor, county):
    from tests.conftest import TOWN

    worker = make_actor("town_worker", TOWN)
    with pytest.raises(PermissionDenied):
        import_snapshot(actor=worker, dataset_code="deposits", source=csv_bytes(HEADER, GOOD), filename="d.csv")
    assert not Snapshot.objects.exists()


@pytest.fixture
def bank(make_actor, county, officer):
    """A login of the banks and finance department (an institution post at the county)."""
    actor = make_actor("institution", county.code, username="bank_feed")
    register_department_account(actor=officer, username="bank_feed", department="finance")
    return actor


@pytest.mark.django_db
def test_department_login_uploads_its_own_datasets_only(vdata, bank):
    result = import_snapshot(actor=bank, dataset_code="deposits", source=csv_bytes(HEADER, GOOD), filename="d.csv")
    assert result.created and result.snapshot.uploaded_by == "bank_feed"
    vehicles = csv_bytes(["id_number", "plate", "vehicle_type"], [[ID1, "冀A12345", "car"]])
    with pytest.raises(WrongDepartment) as caught:
        import_snapshot(actor=bank, dataset_code="vehicles", source=vehicles, filename="v.csv")
    assert caught.value.status == 403 and caught.value.code == "wrong_department"
    assert Snapshot.objects.filter(dataset="vehicles").count() == 0


@pytest.mark.django_db
def test_register_department_account_needs_the_permission(vdata, make_actor, county):
    from tests.conftest import TOWN

    make_actor("institution", county.code, username="tax_feed")
    with pytest.raises(PermissionDenied):
        register_department_account(actor=make_actor("town_worker", TOWN), username="tax_feed", department="tax")
    with pytest.raises(ValidationError):
        register_department_account(actor=make_actor("county_officer", county.code), username="tax_feed", department="army")


@pytest.mark.django_db
def test_api_upload_with_a_department_token(vdata, bank, client):
    from safetynet.areas.tokens import issue_api_token
    from safetynet.areas.actors import system_actor
    from django.core.files.uploadedfile import SimpleUploadedFile

    _token, secret = issue_api_token(actor=system_actor(), username="bank_feed", post_id=bank.post_id)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = "/api/v1/verification/snapshots"
    ok = client.post(url, {"dataset": "deposits", "taken_on": "2026-02-01",
                           "file": SimpleUploadedFile("d.csv", csv_bytes(HEADER, GOOD), "text/csv")}, **auth)
    assert ok.status_code == 201, ok.content
    assert ok.json()["rows"] == 2 and ok.json()["created"] is True
    again = client.post(url, {"dataset": "deposits", "file": SimpleUploadedFile("d.csv", csv_bytes(HEADER, GOOD), "text/csv")}, **auth)
    assert again.status_code == 200 and again.json()["created"] is False
    other = client.post(url, {"dataset": "vehicles", "file": SimpleUploadedFile(
        "v.csv", csv_bytes(["id_number", "plate", "vehicle_type"], [[ID1, "冀A12345", "car"]]), "text/csv")}, **auth)
    assert other.status_code == 403 and other.json()["code"] == "wrong_department"
    bad = client.post(url, {"dataset": "deposits", "file": SimpleUploadedFile(
        "d.csv", csv_bytes(HEADER, GOOD + [[ID1, "张三", "中国农业银行", "1", "2026-01-31"]]), "text/csv")}, **auth)
    assert bad.status_code == 422
    body = bad.json()
    assert body["code"] == "snapshot_rejected" and body["details"]["rows"][0]["row"] == 4


@pytest.mark.django_db
def test_money_is_refused_with_row_and_reason_never_rounded_or_guessed(vdata, officer):
    ids = [make_id_number("130123", dt.date(1960 + n, 1, 1), n, "male") for n in range(7)]
    rows = [[ids[0], "甲", "中国银行", "12,34", "2026-01-31"],      # row 2: a decimal comma, not 1234.00
            [ids[1], "乙", "中国银行", "12.345", "2026-01-31"],     # row 3: not 12.35
            [ids[2], "丙", "中国银行", "1e3", "2026-01-31"],        # row 4: not 1000.00
            [ids[3], "丁", "中国银行", "1,234.56", "2026-01-31"],   # row 5: no separator declared for deposits
            [ids[4], "戊", "中国银行", "12.340", "2026-01-31"],     # good: nothing is lost
            [ids[5], "己", "中国银行", "¥88.8", "2026-01-31"],      # good
            [ids[6], "庚", "中国银行", "ten", "2026-01-31"]]        # row 8: not a number at all
    with pytest.raises(SnapshotRejected) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, rows), filename="deposits.csv")
    problems = {(b.row, b.column): (b.reason, b.value) for b in caught.value.bad_rows}
    assert set(problems) == {(2, "balance"), (3, "balance"), (4, "balance"), (5, "balance"), (8, "balance")}
    assert problems[(2, "balance")] == ("A thousands separator or a decimal comma: write the amount with digits and a decimal "
                                        "point only, e.g. 12345.67.", "12,34")
    assert problems[(3, "balance")][0].startswith("More than two decimals")
    assert problems[(4, "balance")][0].startswith("Written with an exponent")
    assert problems[(5, "balance")][0].startswith("A thousands separator")
    assert problems[(8, "balance")][0] == "Not an amount in yuan."
    assert not Snapshot.objects.exists() and stored_files(vdata) == []


@pytest.mark.django_db
def test_a_declared_thousands_separator_is_read_by_threes_only(vdata, officer):
    from safetynet.verification.schemas import DATASETS

    assert DATASETS["hrss_wages"].thousands_separator == "," and DATASETS["deposits"].thousands_separator == ""
    header = ["身份证号码", "姓名", "单位", "月份", "应发工资", "实发工资"]
    good = [[ID1, "张三", "正定县建筑公司", "2026-01", "12,345.60", "4000"]]
    result = import_snapshot(actor=officer, dataset_code="hrss_wages", source=csv_bytes(header, good), filename="工资.csv")
    import duckdb

    [(gross,)] = duckdb.connect().execute(f"SELECT gross_wage FROM read_parquet('{vdata / result.snapshot.path}')").fetchall()
    assert str(gross) == "12345.60"
    bad = [[ID2, "李四", "正定县建筑公司", "2026-01", "12,34", "1,2345.00"]]
    with pytest.raises(SnapshotRejected) as caught:
        import_snapshot(actor=officer, dataset_code="hrss_wages", source=csv_bytes(header, bad), filename="工资2.csv")
    assert {(b.row, b.column) for b in caught.value.bad_rows} == {(2, "gross_wage"), (2, "net_wage")}


@pytest.mark.django_db
def test_id_numbers_in_excel_number_cells_are_refused_as_such_and_full_width_ones_read(vdata, officer):
    full_width = ID2.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    rows = [[int(ID1), "张三", "中国银行", "1", "2026-01-31"], [full_width, "李四", "中国银行", "2", "2026-01-31"]]
    with pytest.raises(SnapshotRejected) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=xlsx_bytes(HEADER, rows), filename="d.xlsx")
    [bad] = caught.value.bad_rows
    assert (bad.row, bad.column) == (2, "id_number") and "15 digits" in bad.reason
    text = [[f"{float(ID1):.14e}".upper(), "张三", "中国银行", "1", "2026-01-31"], [full_width, "李四", "中国银行", "2", "2026-01-31"]]
    with pytest.raises(SnapshotRejected) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, text), filename="d.csv")
    assert [(b.row, b.column, "15 digits" in b.reason) for b in caught.value.bad_rows] == [(2, "id_number", True)]
    result = import_snapshot(actor=officer, dataset_code="deposits", source=csv_bytes(HEADER, text[1:]), filename="d2.csv")
    assert result.snapshot.identities["exact"] == 1


@pytest.mark.django_db
def test_excel_number_cells_read_as_excel_shows_them(vdata, officer):
    """A computed cell holding 100.10000000000001 is the 100.10 the user sees (Excel's 15 digits);
    a typed 12.345 is still refused."""
    rows = [[ID1, "张三", "中国银行", 100.1 + 1e-14, "2026-01-31"], [ID2, "李四", "中国银行", 12.345, "2026-01-31"]]
    with pytest.raises(SnapshotRejected) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=xlsx_bytes(HEADER, rows), filename="d.xlsx")
    assert [(b.row, b.column, b.value) for b in caught.value.bad_rows] == [(3, "balance", "12.345")]
