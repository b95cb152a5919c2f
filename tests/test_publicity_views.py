"""The public notice board (no login): masked as POLICY.md §7 says, objections through the case
service, an A4 print and PDF version."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from safetynet.cases.models import Case
from safetynet.core.models import AuditEvent
from safetynet.publicity.models import Objection
from tests.cases_helpers import walk


@pytest.fixture
def noticed(posts, poor_household, clock, standards):
    return walk(posts, poor_household, clock, to="in_notice")


def test_board_shows_only_masked_facts(client, noticed, poor_household, village):
    response = client.get(reverse("publicity:board", args=[village.code]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    head = poor_household.head
    assert html.count('data-testid="notice"') == 1
    assert head.name[:2] + "*" in html and head.name not in html
    for member in poor_household.members.all():
        assert member.id_number not in html and member.id_number[-4:] + "<" not in html
        if len(member.name) > 2:
            assert member.name not in html
    assert poor_household.address not in html and poor_household.bank_account not in html
    assert "¥2,070.00" in html and "3 people" in html
    # a village with nothing running, and a code that is not a village
    other = client.get(reverse("publicity:board", args=["130123102200"]))
    assert other.status_code in (200, 404)
    assert client.get(reverse("publicity:board", args=["130123"])).status_code == 404


def test_objection_from_the_board_contests_the_case(client, noticed, village):
    notice = noticed.notices.get()
    url = reverse("publicity:objection", args=[village.code, notice.pk])
    response = client.post(url, {f"n{notice.pk}-content": "他家在县城有门面房出租", f"n{notice.pk}-objector_name": ""})
    assert response.status_code == 302
    case = Case.objects.get(pk=noticed.pk)
    assert case.status == "contested"
    objection = Objection.objects.get(case=case)
    assert objection.content == "他家在县城有门面房出租" and objection.objector_name == "" and objection.recorded_by == "public"
    assert AuditEvent.objects.filter(action="cases.record_objection", username="public").exists()
    # the notice stays on the board, marked, and a second objection joins the first
    board = client.get(reverse("publicity:board", args=[village.code])).content.decode()
    assert board.count('data-testid="notice"') == 1 and 'data-state="under_objection"' in board
    assert client.post(url, {f"n{notice.pk}-content": "再次"}).status_code == 302
    assert Objection.objects.filter(case=case).count() == 2 and Case.objects.get(pk=case.pk).status == "contested"


def test_objection_needs_content_and_keeps_the_input(client, noticed, village):
    notice = noticed.notices.get()
    url = reverse("publicity:objection", args=[village.code, notice.pk])
    response = client.post(url, {f"n{notice.pk}-content": "", f"n{notice.pk}-objector_name": "王五"})
    assert response.status_code == 422 and "王五" in response.content.decode()
    assert Case.objects.get(pk=noticed.pk).status == "in_notice"


def test_objection_to_another_villages_notice_is_404(client, noticed, other_village):
    notice = noticed.notices.get()
    url = reverse("publicity:objection", args=[other_village.code, notice.pk])
    assert client.post(url, {f"n{notice.pk}-content": "x"}).status_code == 404
    assert Case.objects.get(pk=noticed.pk).status == "in_notice"


def test_printable_notice_and_pdf(client, noticed, village, poor_household, tmp_path):
    response = client.get(reverse("publicity:board_print", args=[village.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "@page { size: A4" in html and poor_household.head.id_number not in html and poor_household.address not in html
    response = client.get(reverse("publicity:board_pdf", args=[village.code]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    if shutil.which("pdffonts"):
        path = tmp_path / "notice.pdf"
        path.write_bytes(response.content)
        assert "CJK" in subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
