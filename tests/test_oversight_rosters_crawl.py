"""Bad input of issue 18: a public page never shows an ID number, an address or a full name. A
demo county after its months of office work, its boards posted; every public page followed from
the boards' index (every link that stays on the public side, the PDFs read as text) and matched
against every person's ID number, full name and household address."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest

from safetynet.areas.actors import system_actor
from safetynet.cases import clocks
from safetynet.core import workdays
from safetynet.demo.activity import build_demo_activity
from safetynet.demo.generator import generate_demo_county
from safetynet.oversight.roster_demo import build_boards_month
from safetynet.oversight.roster_models import BoardPosting, BoardRow
from safetynet.publicity.models import Notice
from safetynet.registry.models import Household, Person

pytestmark = pytest.mark.django_db
PUBLIC = ("/notices/",)


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


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_no_public_page_of_the_demo_county_shows_an_id_number_a_full_name_or_an_address(client, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    started = time.monotonic()
    generate_demo_county(actor=system_actor(), people=600, seed=11)
    build_demo_activity(seed=11)
    today = dt.date.today()
    real = clocks.today
    clocks.today = lambda: today
    workdays.clear_cache()
    try:
        counts = build_boards_month(month=today.replace(day=1))
        assert counts["postings"] == BoardPosting.objects.count() > 0
        assert BoardRow.objects.exists() and Notice.objects.filter(status="posted").exists()
        people = [(p.id_number, p.name) for p in Person.objects.all()]
        addresses = [re.sub(r"\s+", "", a) for a in Household.objects.values_list("address", flat=True)]
        seen, queue, pdfs, pages = set(), ["/notices/"], 0, 0
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
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
            assert not _leaks(text, people, addresses), (url, _leaks(text, people, addresses)[:5])
        villages = BoardPosting.objects.values("area_id").distinct().count()
        assert pages >= villages and pdfs >= villages
        print(f"crawled {pages} pages and {pdfs} PDFs in {time.monotonic() - started:.0f} s")
    finally:
        clocks.today = real
        workdays.clear_cache()
