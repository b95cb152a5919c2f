"""Issue 18 in the demo county: after the demo's months of office work (`build_demo_activity`, the
same run `make run` does), every part of transparency and supervision shows working, built through
the services an office uses; and no public page shows an ID number, a full name or an address.

One demo for every part (generating it with its months of work is most of the time): the boards
posted, complaints in every state, the close-relative register swept, inspection findings, the
anomaly report with findings, a finished spot-check campaign; then the crawl of every public page
(the boards' index, each village's board and its PDF, the complaint pages) matched against every
person's ID number, full name and household address."""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest
from django.contrib.auth import get_user_model

from safetynet.areas.actors import actor_for_post, system_actor
from safetynet.areas.models import Post
from safetynet.demo.activity import build_demo_activity
from safetynet.demo.generator import generate_demo_county
from safetynet.oversight import spotchecks
from safetynet.oversight.anomaly_run import run_anomalies
from safetynet.oversight.models import (
    AnomalyFinding, AnomalyRun, BoardPosting, BoardRow, CloseRelativeFiling, Complaint, FindingStatus,
    InspectionFinding, SpotCheckCampaign,
)
from safetynet.publicity.models import Notice
from safetynet.registry.models import Household, Person
from safetynet.workforce.models import DeclaredRelative

pytestmark = pytest.mark.django_db
PUBLIC = ("/notices/", "/complaints/")
COUNTY = "130123"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def _text_of_pdf(content: bytes, tmp_path) -> str:
    path = tmp_path / "board.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _leaks(text: str, people: list[tuple[str, str]], addresses: list[str]) -> list[str]:
    found = []
    squeezed = re.sub(r"\s+", "", text)
    for id_number, name in people:
        if id_number in squeezed:
            found.append(f"ID {id_number}")
        # A full name may be the visible part of a longer masked name ("王小*" holds "王小"):
        # only a name not followed by the mask's star is shown whole.
        if re.search(re.escape(name) + r"(?![*＊])", squeezed):
            found.append(f"name {name}")
    for address in addresses:
        if address and address in squeezed:
            found.append(f"address {address}")
    return found


@pytest.fixture
def demo(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "private"
    generate_demo_county(actor=system_actor(), people=600, seed=11)
    return build_demo_activity(seed=11)


def _crawl(client, tmp_path) -> tuple[int, int]:
    """Every public page reachable from the boards' index and the complaint form (links and form
    targets that stay public), each checked for leaks; the village boards' PDFs too, for the
    villages whose board has something on it (an empty board's PDF holds only the form's words)."""
    people = [(p.id_number, p.name) for p in Person.objects.all()]
    addresses = [re.sub(r"\s+", "", a) for a in Household.objects.values_list("address", flat=True)]
    with_rows = set(BoardRow.objects.values_list("posting__area_id", flat=True)) | set(
        Notice.objects.filter(status="posted").values_list("area_id", flat=True))
    seen, queue, pages, pdfs = set(), ["/notices/", "/complaints/new/", "/complaints/follow/"], 0, 0
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        path = urlparse(url).path
        if path.endswith(".pdf") and not any(f"/{code}/" in path for code in with_rows):
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        if response["Content-Type"].startswith("application/pdf"):
            text, pdfs = _text_of_pdf(response.content, tmp_path), pdfs + 1
            assert "公示" in text
        else:
            text, pages = response.content.decode(), pages + 1
            parser = Links()
            parser.feed(text)
            for link in parser.links:
                target = urlparse(urljoin(url, link))
                if target.netloc in ("", "testserver") and target.path.startswith(PUBLIC):
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))
        leaks = _leaks(text, people, addresses)
        assert not leaks, (url, leaks[:5])
    return pages, pdfs


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_the_demo_county_shows_oversight_working_and_no_public_page_leaks(demo, client, tmp_path):
    parts = demo.oversight
    assert set(parts) == {"supervision", "boards", "complaints", "anomalies", "spot_check"}

    # Boards: every town with a worker posted the month's roster and changes.
    assert parts["boards"]["postings"] == BoardPosting.objects.count() > 0 and BoardRow.objects.exists()

    # Complaints in every state, one climbed past its deadline, a bribery report at the county.
    assert set(Complaint.objects.values_list("status", flat=True)) >= {
        "received", "assigned", "investigating", "decided", "replied", "closed"}
    assert Complaint.objects.filter(escalations__gt=0).exists()
    assert Complaint.objects.filter(category__code="bribery", handling_area_id=COUNTY).exists()
    assert Complaint.objects.filter(appeal_of__isnull=False).exists()

    # The close-relative register: declarations, the sweep's filings, two findings (one answered).
    assert DeclaredRelative.objects.exists() and CloseRelativeFiling.objects.filter(at_acceptance=False).exists()
    assert set(InspectionFinding.objects.values_list("status", flat=True)) >= {FindingStatus.ANSWERED}

    # The anomaly report: findings, each with its control complaint, some given a status.
    run = AnomalyRun.objects.get()
    assert run.status == "done" and AnomalyFinding.objects.filter(run=run).exists()
    assert not AnomalyFinding.objects.filter(complaint__isnull=True).exists()
    assert {"rectified", "explained"} <= set(AnomalyFinding.objects.values_list("status", flat=True))
    officer = actor_for_post(Post.objects.get(user__username="county_officer", role="county_officer"))
    assert run_anomalies(officer, COUNTY, run.month).counts == {}           # run again: nothing new

    # A finished spot-check campaign: every item re-visited, each wrong verdict with its complaint,
    # and the same sample re-drawn from the record.
    campaign = SpotCheckCampaign.objects.get()
    items = list(campaign.items.all())
    assert campaign.status == "finished" and items and all(i.verdict and i.visited_on for i in items)
    assert all(i.complaint_id for i in items if i.verdict != "correct")
    assert spotchecks.redraw(campaign).matches

    # Each inspecting login lands on its overview, its post named for its body; only the supervisor sees who filed a complaint.
    named = Complaint.objects.filter(anonymous=False, handling_area_id=COUNTY).first() or \
        Complaint.objects.filter(anonymous=False).first()
    users = get_user_model().objects
    assert dict(Post.objects.filter(user__username__in=["inspector", "supervisor", "deputy"]).values_list(
        "user__username", "title")) == {"inspector": "县财政局", "supervisor": "县纪委监委", "deputy": "人大代表"}
    for username in ("inspector", "supervisor", "deputy"):
        client.force_login(users.get(username=username))
        assert client.get("/oversight/inspections/").status_code == 200
    if named is not None:
        client.force_login(users.get(username="supervisor"))
        assert named.reporter_name in client.get(f"/oversight/complaints/{named.pk}/").content.decode()
        client.force_login(users.get(username="county_officer"))
        assert named.reporter_name not in client.get(f"/oversight/complaints/{named.pk}/").content.decode()
    client.logout()

    pages, pdfs = _crawl(client, tmp_path)
    assert pages >= BoardPosting.objects.values("area_id").distinct().count() and pdfs >= 1
