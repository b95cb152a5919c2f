"""Decision letters: an A4 PDF in Chinese with a Noto CJK font embedded (checked with pdffonts
and by rasterising a page, not with pdftotext: STACK.md), downloaded in scope, issuance logged once."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from safetynet.cases import letters, services
from safetynet.cases.models import Decision
from safetynet.core.models import AuditEvent
from tests.cases_helpers import make_poor_household, walk

needs_poppler = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils (pdffonts, pdftoppm) not installed")


def _fonts(path) -> str:
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


@needs_poppler
def test_approval_letter_embeds_a_chinese_font(tmp_path, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock)
    decision = Decision.objects.get(case=case)
    html = letters.decision_letter_html(case, decision)
    assert "最低生活保障审批确认决定书" in html and "¥2,070.00" in html and "2025年10月" in html
    assert poor_household.head.id_number not in html
    pdf = letters.decision_letter_pdf(case, decision)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    fonts = _fonts(path)
    assert "Noto-Serif-CJK-SC" in fonts or "NotoSerifCJK" in fonts.replace("-", "")
    # every font embedded (no box glyphs on a machine without the fonts)
    for line in fonts.splitlines()[2:]:
        assert " yes " in line, line
    # one A4 page rasterised: 595 x 842 pt
    subprocess.run(["pdftoppm", "-r", "20", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True)
    assert list(tmp_path.glob("page*.png"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "595.276 x 841.89" in info or "595.28 x 841.89" in info


@needs_poppler
def test_refusal_letter_gives_reasons_and_the_right_to_review(tmp_path, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="notice_closed")
    decision = services.refuse_case(actor=posts.officer, case_id=case.pk, reasons="家庭人均收入高于当地低保标准\n有机动车一辆")
    case.refresh_from_db()
    html = letters.decision_letter_html(case, decision)
    assert "不予批准" in html and "家庭人均收入高于当地低保标准" in html and "有机动车一辆" in html
    assert "行政复议" in html and "行政诉讼" in html and "重新核对" in html
    path = tmp_path / "refusal.pdf"
    path.write_bytes(letters.decision_letter_pdf(case, decision))
    assert "CJK" in _fonts(path)


def test_download_is_scoped_and_logs_the_issue_once(client, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock)
    url = reverse("cases:letter", args=[case.pk])
    User = get_user_model()
    client.force_login(User.objects.get(pk=posts.officer.user_id))
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="cases.issue_letter").count() == 1
    assert Decision.objects.get(case=case).letter_issued_at is not None
    # another town's worker: as if the case did not exist
    client.force_login(User.objects.get(pk=posts.other_worker.user_id))
    assert client.get(url).status_code == 404
    # an inspector reads the letter without issuing it
    client.force_login(User.objects.get(pk=posts.inspector.user_id))
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action="cases.issue_letter").count() == 1


def test_no_letter_before_a_decision(client, posts, poor_household, clock, standards):
    case = walk(posts, make_poor_household(posts.worker, poor_household.area_id), clock, to="accepted")
    client.force_login(get_user_model().objects.get(pk=posts.officer.user_id))
    assert client.get(reverse("cases:letter", args=[case.pk])).status_code == 404


def test_a_case_decided_in_the_english_interface_reads_in_chinese(client, posts, poor_household, clock, standards):
    """The rule's breakdown is kept in every language of the site: a county officer working in
    English confirms, and the household's letter and the Chinese case page still read in Chinese
    (they showed the English lines as recorded)."""
    from django.utils import translation

    from tests.untranslated import english_words_in

    with translation.override("en"):
        case = walk(posts, poor_household, clock)
    decision = Decision.objects.get(case=case)
    assert any("standard" in line["item"].lower() for line in decision.assessment["breakdown"])   # as recorded
    html = letters.decision_letter_html(case, decision)
    assert "Standard" not in html and "standard" not in html and "标准" in html
    client.force_login(get_user_model().objects.get(username=posts.worker.username))
    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "标准" in page and not english_words_in(page)
