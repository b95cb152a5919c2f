"""The statements pages (issue 20 part 3): the county's month with its chart, a statement with its
lines (names masked) and differences, approval by the county leader, the payment run with its bank
files (private, behind the post's permission and area) and the bank's returns; a town post reads
its town's institutions only and no run, an inspector reads and writes nothing, another county 404;
and `safetynet medical_statements` with its progress lines."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safetynet.medical.models import MedicalPaymentRun, MedicalStatement
from tests.medical_statement_helpers import COUNTY, D, Decimal, returns_file, stmt  # noqa: F401 (a fixture)

LIST = "/medical/statements/"


@pytest.fixture
def month(stmt):
    stmt.budget()
    stmt.settle(assistance="1000.00", visit="ZY001", person=stmt.people[0])
    stmt.settle(stmt.centre, assistance="300.00", visit="WS001", person=stmt.people[1])
    return stmt


def test_the_county_works_its_month_through_the_pages(month, login):
    stmt = month
    page = login(stmt.posts.officer)
    answer = page.get(f"{LIST}?month=2025-09")
    assert answer.status_code == 200 and b'data-testid="generate"' in answer.content
    answer = page.post(LIST, {"month": "2025-09"}, follow=True)
    assert "2 institutions in all" in answer.content.decode()
    body = page.get(f"{LIST}?month=2025-09").content.decode()
    assert "正定县人民医院" in body and "正定镇卫生院" in body and 'id="statements-chart"' in body
    assert "statements-chart-data" in body and "medical-statements-chart.js" in body
    hospital = stmt.statement()
    answer = page.post(f"/medical/statements/{hospital.pk}/reconcile/", follow=True)
    assert "differs from the institution" in answer.content.decode()
    detail = page.get(f"/medical/statements/{hospital.pk}/").content.decode()
    assert "ZY001" in detail and stmt.people[0].name not in detail and stmt.people[0].name[:2] + "*" in detail
    assert "sent no claim" in detail and 'data-testid="approve"' not in detail      # the officer does not approve
    stmt.claim(stmt.centre, settlements=1, total="300.00")
    centre = page.get(f"/medical/statements/{stmt.statement(stmt.centre).pk}/").content.decode()
    assert 'data-testid="differences"' not in centre and "data-testid=\"differences\"" in detail

    leader = login(stmt.posts.county_leader)
    detail = leader.get(f"/medical/statements/{hospital.pk}/").content.decode()
    assert 'data-testid="approve"' in detail and "charges the net" in detail
    answer = leader.post(f"/medical/statements/{hospital.pk}/approve/", {"note": ""}, follow=True)
    assert "write in the note" in answer.content.decode()
    leader.post(f"/medical/statements/{hospital.pk}/approve/", {"note": "以结算为准"})
    leader.post(f"/medical/statements/{stmt.statement(stmt.centre).pk}/approve/", {})
    assert set(MedicalStatement.objects.values_list("status", flat=True)) == {"approved"}

    run = MedicalPaymentRun.objects.get()
    page = login(stmt.posts.officer)
    assert b'data-testid="export"' in page.get(f"/medical/statements/runs/{run.pk}/").content
    answer = page.post(f"/medical/statements/runs/{run.pk}/export/", follow=True)
    assert "Bank files written: 2 institutions" in answer.content.decode()
    run.refresh_from_db()
    first = run.export_summary["banks"][0]["file"]
    download = page.get(f"/medical/statements/runs/{run.pk}/files/{first}")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")
    assert download["Cache-Control"] == "private, no-store"
    refs = dict(MedicalStatement.objects.values_list("institution__code", "reference"))
    upload = returns_file([(refs["H13012300001"], "1000.00", "paid", ""), (refs["H13012310001"], "300.00", "failed", "户名不符")])
    upload.name = "returns.csv"
    answer = page.post(f"/medical/statements/runs/{run.pk}/returns/", {"file": upload}, follow=True)
    assert "1 paid, 1 failed" in answer.content.decode()
    assert MedicalPaymentRun.objects.get().status == "reconciled"
    assert "户名不符" in page.get(f"/medical/statements/runs/{run.pk}/").content.decode()


def test_pages_refuse_the_wrong_role_and_area(month, login, client, make_actor):
    from safetynet.areas.models import Area

    stmt = month
    stmt.generate()
    run = MedicalPaymentRun.objects.get()
    hospital, centre = stmt.statement(), stmt.statement(stmt.centre)
    worker = login(stmt.posts.worker)                      # 正定镇: its health centre, no run
    body = worker.get(f"{LIST}?month=2025-09").content.decode()
    assert "正定镇卫生院" in body and "正定县人民医院" not in body and 'data-testid="generate"' not in body
    assert 'data-testid="run-link"' not in body
    assert worker.post(LIST, {"month": "2025-09"}).status_code == 403
    assert worker.get(f"/medical/statements/{hospital.pk}/").status_code == 404
    assert worker.get(f"/medical/statements/{centre.pk}/").status_code == 200
    assert worker.get(f"/medical/statements/runs/{run.pk}/").status_code == 404
    assert worker.post(f"/medical/statements/{centre.pk}/reconcile/").status_code == 403
    other = login(stmt.posts.other_worker)
    assert "正定镇卫生院" not in other.get(f"{LIST}?month=2025-09").content.decode()
    assert other.get(f"/medical/statements/{centre.pk}/").status_code == 404

    inspector = login(stmt.posts.inspector)                # reads all of the county, writes nothing
    assert inspector.get(f"/medical/statements/{hospital.pk}/").status_code == 200
    assert inspector.get(f"/medical/statements/runs/{run.pk}/").status_code == 200
    assert inspector.post(LIST, {"month": "2025-09"}).status_code == 403
    assert inspector.post(f"/medical/statements/{hospital.pk}/approve/", {"note": "x"}).status_code == 403
    assert inspector.post(f"/medical/statements/runs/{run.pk}/export/").status_code == 403

    Area.objects.create(code="130124", name="深泽县", level="county", parent_id=COUNTY[:4])
    stranger = login(make_actor("county_officer", "130124"))
    assert stranger.get(f"/medical/statements/{hospital.pk}/").status_code == 404
    assert stranger.post(f"/medical/statements/{hospital.pk}/reconcile/").status_code == 404
    assert stranger.get(f"/medical/statements/runs/{run.pk}/").status_code == 404
    assert stranger.post(f"/medical/statements/runs/{run.pk}/export/").status_code == 404
    assert "正定县人民医院" not in stranger.get(f"{LIST}?month=2025-09").content.decode()
    client.logout()
    assert client.get(f"/medical/statements/runs/{run.pk}/files/x.csv").status_code == 404
    assert set(MedicalStatement.objects.values_list("status", flat=True)) == {"draft"}


def test_the_page_says_a_month_not_ended_cannot_be_stated(month, login):
    body = login(month.posts.officer).get(f"{LIST}?month=2025-10").content.decode()
    assert "has not ended yet" in body and 'data-testid="generate"' not in body


def test_the_command_states_a_month_with_its_progress(month):
    out = io.StringIO()
    call_command("medical_statements", "--county", COUNTY, "--month", "2025-09", stdout=out)
    text = out.getvalue()
    assert "Stating 2025-09 for 130123" in text and "[1/5]" in text and "[5/5]" in text
    assert "H13012300001 正定县人民医院: 1 settlements, 0 reversals, net ¥1,000.00 (draft)" in text
    assert f"Run YL{COUNTY}202509" in text and "2 statements, net ¥1,300.00" in text
    out = io.StringIO()
    call_command("medical_statements", "--county", COUNTY, "--month", "2025-09", stdout=out)
    assert "already complete: nothing added" in out.getvalue()
    with pytest.raises(CommandError, match="has not ended yet"):
        call_command("medical_statements", "--county", COUNTY, "--month", "2025-10", stdout=io.StringIO())
    with pytest.raises(CommandError, match="holds no post that may medical.statements"):
        call_command("medical_statements", "--county", COUNTY, "--month", "2025-09", "--as",
                     month.posts.worker.username, stdout=io.StringIO())
    assert MedicalStatement.objects.get(institution=month.hospital).net_total == Decimal("1000.00")


def test_the_pages_speak_chinese(month, login_site_language):
    from tests.untranslated import english_in_context

    stmt = month
    stmt.generate()
    stmt.claim(settlements=2, total="1500.00", visits=[{"visit_number": "ZY001", "assistance": "1000.00"},
                                                       {"visit_number": "ZY404", "assistance": "500.00"}])
    run = MedicalPaymentRun.objects.get()
    pages = {"officer": (stmt.posts.officer, [f"{LIST}?month=2025-09", f"{LIST}?month=2025-10",
                                              f"/medical/statements/{stmt.statement().pk}/",
                                              f"/medical/statements/runs/{run.pk}/"]),
             "leader": (stmt.posts.county_leader, [f"/medical/statements/{stmt.statement().pk}/"])}
    for actor, urls in pages.values():
        page = login_site_language(actor)
        for url in urls:
            answer = page.get(url)
            assert answer.status_code == 200
            assert english_in_context(answer.content.decode()) == [], url


def test_the_leaders_home_page_lists_the_statements_waiting_for_approval(month, login):
    """Stop 26's note left it out: the statements compared with their claims wait on the county
    leader's home page, linked to their month; not on the generator's, nor a town worker's."""
    stmt = month
    stmt.generate()
    stmt.claim(settlements=1, total="1000.00")
    stmt.claim(stmt.centre, settlements=1, total="300.00")
    assert set(MedicalStatement.objects.values_list("status", flat=True)) == {"reconciled"}
    label = "Medical statements to approve"

    home = login(stmt.posts.county_leader).get("/").content.decode()
    assert label in home and f"{LIST}?month=2025-09" in home
    for post in (stmt.posts.officer, stmt.posts.worker):
        assert label not in login(post).get("/").content.decode()

    leader = login(stmt.posts.county_leader)
    for statement in MedicalStatement.objects.all():
        leader.post(f"/medical/statements/{statement.pk}/approve/", {})
    assert label not in leader.get("/").content.decode()
