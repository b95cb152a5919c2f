"""The village roster and its monthly changes (issue 18 part 1): what a posting holds (the month's
live enrollments, its additions and removals, masked), posted once per village, month and list,
by a post holding `cases.notice` in its own area only; the public board shows it, an objection
to a line becomes a complaint on the enrollment whose token the objector sees once; the A4 PDF
in Chinese carries a QR code to the page."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.enrollments.models import Enrollment, EnrollmentStatus
from safetynet.oversight.complaints import hash_token
from safetynet.oversight.models import Complaint
from safetynet.oversight.roster_models import BoardChange, BoardKind, BoardPosting, BoardRow
from safetynet.oversight.roster_services import post_monthly_boards
from tests.cases_helpers import make_poor_household, walk
from tests.conftest import TOWN

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2025, 10, 1)


@pytest.fixture
def enrolled(posts, village, clock, standards):
    """Two households confirmed in the village: one starts in October (an addition), the other
    is moved back to have started in August and ended on 15 October (a removal)."""
    first = walk(posts, make_poor_household(posts.worker, village.code), clock)
    second = walk(posts, make_poor_household(posts.worker, village.code), clock)
    added = Enrollment.objects.get(case=first)
    removed = Enrollment.objects.get(case=second)
    Enrollment.objects.filter(pk=removed.pk).update(start_month=dt.date(2025, 8, 1), status=EnrollmentStatus.ENDED,
                                                    ended_on=dt.date(2025, 10, 15))
    clock.set(dt.date(2025, 10, 20))
    return added, removed


def _rows(village, kind):
    return list(BoardRow.objects.filter(posting__area=village, posting__kind=kind).order_by("position"))


def test_the_roster_holds_the_months_live_enrollments_and_the_changes_its_additions_and_removals(posts, enrolled, village,
                                                                                                   other_village):
    added, removed = enrolled
    result = post_monthly_boards(actor=posts.worker, month="2025-10", area_code=TOWN)
    villages = BoardPosting.objects.filter(kind=BoardKind.ROSTER).count()
    assert len(result.posted) == 2 * villages and result.already == 0 and result.rows == 3
    assert not BoardPosting.objects.filter(area=other_village).exists()        # another town's villages
    assert all(p.area_id.startswith(TOWN) for p in BoardPosting.objects.all())
    roster = _rows(village, BoardKind.ROSTER)
    assert [r.enrollment_id for r in roster] == [added.pk]
    head = added.case.applicant
    assert roster[0].masked_name == head.name[:2] + "*" * (len(head.name) - 2) or roster[0].masked_name == head.name[0] + "*"
    assert roster[0].members_count == 3 and roster[0].monthly_amount == Decimal("2070.00")
    changes = _rows(village, BoardKind.CHANGES)
    assert [(r.enrollment_id, r.change) for r in changes] == [(added.pk, BoardChange.ADDED), (removed.pk, BoardChange.REMOVED)]
    posting = BoardPosting.objects.get(area=village, kind=BoardKind.ROSTER)
    assert (posting.month, posting.starts_on, posting.ends_on) == (OCTOBER, dt.date(2025, 10, 20), dt.date(2025, 10, 26))
    assert posting.rows_count == 1 and posting.posted_by == posts.worker.username
    # September: the removed household was still on the roster, the added one not yet
    post_monthly_boards(actor=posts.worker, month="2025-09", area_code=village.code)
    september = BoardPosting.objects.get(area=village, kind=BoardKind.ROSTER, month=dt.date(2025, 9, 1))
    assert [r.enrollment_id for r in september.rows.all()] == [removed.pk]


def test_posting_twice_leaves_the_first_lists_as_they_are(posts, enrolled, village):
    first = post_monthly_boards(actor=posts.worker, month="2025-10", area_code=TOWN)
    before = list(BoardRow.objects.order_by("id").values_list("id", "posting_id", "masked_name"))
    again = post_monthly_boards(actor=posts.worker, month=OCTOBER, area_code=TOWN)
    assert again.posted == [] and again.rows == 0 and again.already == len(first.posted)
    assert list(BoardRow.objects.order_by("id").values_list("id", "posting_id", "masked_name")) == before
    # one village of the town posted again: still nothing new
    assert post_monthly_boards(actor=posts.worker, month=OCTOBER, area_code=village.code).posted == []


def test_only_a_post_with_the_notice_right_posts_and_only_in_its_own_area(posts, enrolled, village, other_village):
    with pytest.raises(NotFound):
        post_monthly_boards(actor=posts.other_worker, month=OCTOBER, area_code=TOWN)
    with pytest.raises(NotFound):
        post_monthly_boards(actor=posts.cadre, month=OCTOBER, area_code=TOWN)           # a village post, the town
    with pytest.raises(NotFound):
        post_monthly_boards(actor=posts.cadre, month=OCTOBER, area_code=other_village.code)
    for actor in (posts.inspector, posts.officer, posts.grid):
        with pytest.raises(PermissionDenied):
            post_monthly_boards(actor=actor, month=OCTOBER, area_code=village.code)
    with pytest.raises(ValidationError) as future:
        post_monthly_boards(actor=posts.worker, month="2025-11", area_code=TOWN)
    assert future.value.field == "month"
    for bad in ("13012310", "", "999999"):
        with pytest.raises(ValidationError):
            post_monthly_boards(actor=posts.worker, month=OCTOBER, area_code=bad)
    assert not BoardPosting.objects.exists()
    # a village cadre posts its own village
    assert post_monthly_boards(actor=posts.cadre, month=OCTOBER, area_code=village.code).posted


def test_staff_pages_post_and_list_and_refuse_the_inspector(client_for, posts, enrolled, village):
    worker = client_for("town_worker", TOWN)
    response = worker.post(reverse("oversight:boards_post"), {"month": "2025-10", "area": TOWN})
    assert response.status_code == 302 and BoardPosting.objects.filter(area=village).count() == 2
    page = worker.get(reverse("oversight:boards"), {"kind": "roster", "q": village.name}).content.decode()
    assert 'data-testid="postings"' in page and village.name in page
    inspector = client_for("inspector", TOWN[:6])
    assert inspector.post(reverse("oversight:boards_post"), {"month": "2025-10", "area": TOWN}).status_code == 403
    assert inspector.get(reverse("oversight:boards")).status_code == 200
    other = client_for("town_worker", "130123102")
    other.post(reverse("oversight:boards_post"), {"month": "2025-10", "area": TOWN})
    assert BoardPosting.objects.count() == BoardPosting.objects.filter(area__code__startswith=TOWN).count()


def test_the_public_board_shows_the_masked_roster_and_an_objection_to_a_line_becomes_a_complaint(client, posts, enrolled,
                                                                                                 village):
    added, _removed = enrolled
    post_monthly_boards(actor=posts.worker, month=OCTOBER, area_code=TOWN)
    index = client.get(reverse("publicity:index"), {"q": village.name[:3]}).content.decode()
    assert reverse("publicity:board", args=[village.code]) in index
    html = client.get(reverse("publicity:board", args=[village.code]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count('data-testid="roster-row"') == 1 and html.count('data-testid="changes-row"') == 2
    for member in added.household.members.all():
        assert member.id_number not in html and (len(member.name) <= 2 or member.name not in html)
    assert added.household.address not in html
    row = BoardRow.objects.get(posting__area=village, posting__kind=BoardKind.ROSTER)
    url = reverse("publicity:roster_objection", args=[village.code, row.pk])
    assert client.post(url, {f"r{row.pk}-content": ""}).status_code == 422
    response = client.post(url, {f"r{row.pk}-content": "他家儿子在县城开了公司", f"r{row.pk}-objector_name": ""})
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.category.code, complaint.enrollment_id, complaint.case_id) == (
        "objection", "notice_objection", added.pk, added.case_id)
    assert complaint.anonymous and complaint.handling_area_id == TOWN
    board = client.get(reverse("publicity:board", args=[village.code]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    token = re.search(r'data-testid="token">([^<]+)<', board).group(1)
    assert hash_token(token) == complaint.token_hash and "/complaints/follow/" in board
    # shown once
    assert 'data-testid="token"' not in client.get(reverse("publicity:board", args=[village.code])).content.decode()
    # a line of another village's board, or no line at all
    assert client.post(reverse("publicity:roster_objection", args=["130123102200", row.pk]),
                       {f"r{row.pk}-content": "x"}).status_code == 404


def test_an_objection_to_a_notice_shows_the_token_of_its_complaint(client, posts, village, clock, standards):
    case = walk(posts, make_poor_household(posts.worker, village.code), clock, to="in_notice")
    notice = case.notices.get()
    response = client.post(reverse("publicity:objection", args=[village.code, notice.pk]),
                           {f"n{notice.pk}-content": "他家有车"})
    assert response.status_code == 302
    board = client.get(reverse("publicity:board", args=[village.code])).content.decode()
    token = re.search(r'data-testid="token">([^<]+)<', board).group(1)
    complaint = Complaint.objects.get(case=case)
    assert hash_token(token) == complaint.token_hash and complaint.objection.notice_id == notice.pk


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_the_village_board_pdf_is_in_chinese_with_a_qr_code_to_the_page(client, posts, enrolled, village, tmp_path):
    post_monthly_boards(actor=posts.worker, month=OCTOBER, area_code=TOWN)
    response = client.get(reverse("publicity:village_pdf", args=[village.code]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and response["Cache-Control"] == "private, no-store"
    path = tmp_path / "board.pdf"
    path.write_bytes(b"".join(response) if hasattr(response, "streaming_content") else response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    row = BoardRow.objects.get(posting__area=village, posting__kind=BoardKind.ROSTER)
    assert "公示" in text and "新增" in text and row.masked_name in text.replace(" ", "")
    from safetynet.oversight.public_board import village_board_html   # the HTML the PDF was printed from
    from django.test import RequestFactory

    html = village_board_html(RequestFactory().get("/"), village)
    assert "<svg" in html and f"http://testserver/notices/{village.code}/" in html
