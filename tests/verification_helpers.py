"""Fixtures and helpers for the verification tests: a private DATA_DIR, files in each format, and
a small world (households of the 正定县 fixture with department snapshots about them).

Import with `from tests.verification_helpers import *` (pytest finds fixtures in the test
module's namespace). This module holds no tests itself."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

__all__ = ["vdata", "found_household", "csv_bytes", "xlsx_bytes", "parquet_bytes", "import_rows", "months_before", "D",
           "import_other_datasets", "STRANGER_ID"]

D = dt.date


@pytest.fixture
def vdata(settings, tmp_path):
    """Verification files under a private DATA_DIR; the online catalogue forgets them afterwards."""
    from safetynet.verification.online import CATALOG

    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CATALOG.close()
    yield tmp_path
    CATALOG.close()


def csv_bytes(header: list[str], rows: list[list], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parquet_bytes(columns: dict) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def months_before(day: dt.date, n: int = 12) -> list[dt.date]:
    month = day.replace(day=1)
    out = []
    for _ in range(n):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        out.append(month)
    return out


def import_rows(actor, dataset_code: str, rows: list[dict], *, taken_on: dt.date | None = None):
    """Import `rows` (dicts by column name) as a CSV snapshot of `dataset_code` through the service."""
    from safetynet.verification.schemas import DATASETS
    from safetynet.verification.services import import_snapshot

    columns = [c for c in DATASETS[dataset_code].column_names if any(c in r for r in rows)]
    body = csv_bytes(columns, [[_text(r.get(c)) for c in columns] for r in rows])
    return import_snapshot(actor=actor, dataset_code=dataset_code, source=body, filename=f"{dataset_code}.csv",
                           taken_on=taken_on)


def _text(value):
    if value is None:
        return ""
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    return value


STRANGER_ID = "110101195001010019"   # a person in no household of the fixtures


def import_other_datasets(actor, *, taken_on: dt.date | None = None) -> list[str]:
    """A one-row snapshot, about a stranger, of every dataset the verification reads that has no
    current snapshot yet: a report then knows every dataset was there (verification/coverage.py).
    Returns the datasets imported."""
    from safetynet.verification import schemas
    from safetynet.verification.coverage import read_datasets
    from safetynet.verification.models import Snapshot, SnapshotStatus

    today = taken_on or dt.date.today()
    loaded = set(Snapshot.objects.filter(status=SnapshotStatus.CURRENT).values_list("dataset", flat=True))
    done = []
    for code in read_datasets():
        if code in loaded:
            continue
        row = {"id_number": STRANGER_ID, "name": "路人甲", "birth_date": dt.date(1950, 1, 1)}
        for column in schemas.DATASETS[code].columns:
            if column.name in row or not column.required:
                continue
            row[column.name] = {schemas.STRING: "甲", schemas.DATE: today - dt.timedelta(days=1),
                                schemas.MONTH: months_before(today, 1)[0], schemas.MONEY: Decimal("1.00"),
                                schemas.NUMBER: Decimal("1"), schemas.ID_NUMBER: STRANGER_ID,
                                schemas.CHOICE: column.choices[0] if column.choices else ""}[column.type]
        import_rows(actor, code, [row], taken_on=taken_on)
        done.append(code)
    return done


@pytest.fixture
def found_household(vdata, posts, standards, clock, poor_household):
    """The poor household of cases_helpers (declared wages ¥900 for the head) and the departments'
    data about it: those wages, a car registered to the spouse, a deposit, every other dataset
    there and fresh (a report on it is complete)."""
    from safetynet.registry.models import Person

    head = Person.objects.get(pk=poor_household.head_id)
    spouse = Person.objects.filter(household=poor_household, relation_to_head="spouse").get()
    today = dt.date.today()
    import_rows(posts.officer, "hrss_wages", [
        {"id_number": head.id_number, "employer": "正定县建筑公司", "month": m, "gross_wage": Decimal("1100"), "net_wage": Decimal("900")}
        for m in months_before(today)])
    import_rows(posts.officer, "vehicles", [{"id_number": spouse.id_number, "plate": "冀A9Z123", "vehicle_type": "car",
                                             "registered_on": dt.date(2020, 5, 1)}])
    import_rows(posts.officer, "deposits", [{"id_number": head.id_number, "bank": "中国银行", "balance": Decimal("3000"),
                                             "as_of": today}])
    import_other_datasets(posts.officer)   # every dataset there and fresh: the report is complete
    return {"household": poor_household, "head": head, "spouse": spouse}
