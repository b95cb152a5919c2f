"""Every CSV or Excel file SafetyNet hands out opens as it is in a Chinese Excel (issue 15, item 11):
a CSV starts with the UTF-8 byte-order mark (without it Excel reads GBK and shows mojibake), an
error sheet is .xlsx, and the headers people read are Chinese in the Chinese interface. The bank
files keep the bank's own column names (its system reads them) and carry the BOM too."""
from __future__ import annotations

import codecs
import csv
import io
import re

from django.urls import reverse

from safetynet.payroll.models import PayrollRun
from tests.conftest import TOWN
from tests.conftest import COUNTY

BOM = codecs.BOM_UTF8
HAN = re.compile(r"[\u4e00-\u9fff]")


def _in_chinese(client, actor):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(pk=actor.user_id))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_bank_files_and_summary_open_in_chinese_excel(client, payroll, immediate_jobs, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = payroll
    p.enroll("100.00", account="")
    officer = _in_chinese(client, p.posts.officer)
    officer.post(reverse("payments:runs"), {"county": COUNTY, "month": "2025-10"})
    run = PayrollRun.objects.get()
    _in_chinese(client, p.posts.county_leader).post(reverse("payments:approve", args=[run.pk]))
    officer = _in_chinese(client, p.posts.officer)
    officer.post(reverse("payments:export", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == "exported"
    names = [b["file"] for b in run.export_summary["banks"]]
    for name in names + [run.export_summary["summary_file"]]:
        response = officer.get(reverse("payments:file", args=[run.pk, name]))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        data = _body(response)
        assert data.startswith(BOM), name
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        if name in names:
            assert rows[0] == ["account", "name", "amount", "reference"]     # the bank's layout
        else:
            assert rows[0] == ["批次", "银行代码", "银行", "文件", "发放记录", "合计金额（元）", "SHA-256 校验值"]
            assert [r[2] for r in rows[-3:]] == ["银行文件合计", "无银行账户", "本批次总计"]
            assert all(HAN.search(cell) for cell in rows[0])


def test_an_import_error_sheet_has_chinese_headers(client_for, county, immediate_jobs):
    from openpyxl import load_workbook

    client = client_for("county_officer", COUNTY)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    bad = f"code,name,urban_rural_class\n{TOWN}951,错类村,999\n".encode("utf-8")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/areas/import/", {"file": SimpleUploadedFile("bad.csv", bad)})
    report_url = client.get(response["Location"])["Location"]
    report = client.get(report_url).content.decode()
    assert "<td>城乡分类代码</td>" in report and "urban_rural_class</td>" not in report
    sheet = client.get(report_url + "errors.xlsx")
    assert sheet.status_code == 200
    assert sheet["Content-Type"].startswith("application/vnd.openxmlformats")
    data = _body(sheet)
    assert data.startswith(b"PK")                 # an .xlsx (a zip), not a CSV Excel would guess at
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.active.title == "错误行"
    header, row = list(workbook.active.iter_rows(values_only=True))[:2]
    assert header[:3] == ("行号", "字段", "原因")
    assert row[1] == "城乡分类代码"            # the bad field as people read it, not urban_rural_class


def test_office_csv_writes_the_bom_and_translated_headers():
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    from safetynet.core.tabular import office_csv

    with translation.override("zh-hans"):
        data = office_csv([gettext_lazy("Bank"), "x"], [["张三", "1.00"]])
    assert data.startswith(BOM)
    assert data.decode("utf-8-sig") == "银行,x\r\n张三,1.00\r\n"
