"""Every bad-file answer of the department import and the roster import speaks Chinese in the Chinese
interface (issue 14, item 10): no DuckDB, csv or openpyxl text passed through. Each message (and
each bad row's reason) may hold column names and format names, and no other ASCII word."""
from __future__ import annotations

import codecs
import datetime as dt
import io
import re

import pytest
from django.utils import translation

from safetynet.core.errors import ValidationError
from safetynet.core.idnumbers import make_id_number
from safetynet.registry.roster import import_roster
from safetynet.verification.services import import_snapshot
from tests.conftest import TOWN
from tests.verification_helpers import csv_bytes

ID1 = make_id_number("130123", dt.date(1970, 3, 1), 1, "male")
HEADER = ["id_number", "name", "bank", "balance", "as_of"]
GOOD = [[ID1, "张三", "中国银行", "1200.50", "2026-01-31"]]
ROSTER_HEADER = ["户编号", "区划代码", "地址", "户籍性质", "姓名", "身份证号", "与户主关系"]
FORMAT_WORDS = {"CSV", "UTF", "GB", "Excel", "Unicode", "xlsx", "xlsm", "csv", "txt", "parquet", "Parquet", "X"}
ROSTER_COLUMNS = {"household_ref", "area_code", "address", "registration_type", "name", "id_number", "relation_to_head"}


def english_words(text: str, columns) -> list[str]:
    words = re.findall(r"(?<![.\w])[A-Za-z][A-Za-z_]+", text)   # not file extensions (.pdf)
    return [w for w in words if w not in FORMAT_WORDS and w not in columns]


def utf16(header, rows) -> bytes:
    return codecs.BOM_UTF16_LE + csv_bytes(header, rows).decode().encode("utf-16-le")


def ragged(header, rows) -> bytes:
    return csv_bytes(header, rows) + ",".join([ID1, "李四", "中国银行", "1", "2026-01-31", "多余", "再多"]).encode() + b"\n"


BAD_FILES = {
    "utf16": ("deposits.csv", lambda h, r: utf16(h, r)),
    "ragged": ("deposits.csv", lambda h, r: ragged(h, r)),
    "binary": ("deposits.csv", lambda h, r: b"\x00\x01\x02\xff\xfe garbage" * 50),
    "empty": ("deposits.csv", lambda h, r: b""),
    "header only": ("deposits.csv", lambda h, r: csv_bytes(h, [])),
    "wrong extension": ("deposits.pdf", lambda h, r: csv_bytes(h, r)),
    "xlsx named csv": ("deposits.xlsx", lambda h, r: csv_bytes(h, r)),
    "broken zip": ("deposits.xlsx", lambda h, r: b"PK\x03\x04" + b"\x00" * 200),
    "broken parquet": ("deposits.parquet", lambda h, r: b"PAR1" + b"\x01" * 200 + b"PAR1"),
    "quote never closed": ("deposits.csv", lambda h, r: csv_bytes(h, r) + f'{ID1},"王五,中国银行,1,2026-01-31\n'.encode()),
}


def messages_of(error: ValidationError) -> list[str]:
    found = [error.message]
    found += [b.reason for b in getattr(error, "bad_rows", [])]
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_department_import_answers_each_bad_file_in_chinese(vdata, officer, case):  # noqa: F811
    filename, make = BAD_FILES[case]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        import_snapshot(actor=officer, dataset_code="deposits", source=make(HEADER, GOOD), filename=filename)
    for message in messages_of(caught.value):
        assert re.search(r"[\u4e00-\u9fff]", message), message
        assert not english_words(message, set(HEADER) | {"deposits"}), message


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(set(BAD_FILES) - {"broken parquet"}))
def test_roster_import_answers_each_bad_file_in_chinese(make_actor, village, case):
    filename, make = BAD_FILES[case]
    filename = filename.replace("deposits", "roster").replace(".parquet", ".csv")
    rows = [["H1", village.code, "东街1号", "农村", "张一", ID1, "户主"]]
    actor = make_actor("town_worker", TOWN)
    with translation.override("zh-hans"):
        try:
            result = import_roster(actor=actor, source=io.BytesIO(make(ROSTER_HEADER, rows)), filename=filename,
                                   area_code=TOWN)
        except ValidationError as error:
            messages = messages_of(error)
        else:
            messages = [e.message for e in result.errors]
            assert messages, "a bad file must not import silently"
    for message in messages:
        assert re.search(r"[\u4e00-\u9fff]", message), message
        assert not english_words(message, ROSTER_COLUMNS), message
