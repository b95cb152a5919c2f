"""Browser test of the payroll's main path on the demo county (issue 5): the county officer
generates the month's run, the county leader — another person — approves it, the officer writes
the bank files; the totals the run page shows equal the bank files' summary, and each bank file
adds up to its line. Then the county leader simulates a higher standard and reads the result."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNTY = "130123"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture
def demo_county(settings, tmp_path):
    """The demo county (1,500 people), its households that the dibao rule finds eligible enrolled
    at the rule's amount from 2025-12 (their bank accounts as the registry has them; a few
    without one), and a worker that runs each job as it is queued."""
    from django.utils import timezone

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.cases.models import Case, Decision
    from safetynet.demo.generator import generate_demo_county
    from safetynet.enrollments.models import Enrollment
    from safetynet.enrollments.simulation import chunk_facts, household_chunks
    from safetynet.programs import rules
    from safetynet.programs.selectors import dibao_parameters
    from safetynet.registry.models import Household

    settings.TASKS = IMMEDIATE
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    generate_demo_county(actor=system_actor(), people=1500, seed=5)
    month = dt.date(2025, 12, 1)
    urban = {c: k.startswith("1") for c, k in Area.objects.filter(level="village").values_list("code", "urban_rural_class")}
    params, eligible = {}, []
    for chunk in household_chunks(COUNTY):
        for household_id, area, facts in chunk_facts(chunk, urban, month):
            village = area[:12]
            params.setdefault(village, dibao_parameters(village, month))
            outcome = rules.assess_dibao(facts, params[village])
            if outcome.eligible:
                eligible.append((household_id, area, outcome.monthly_amount))
    assert len(eligible) >= 10, len(eligible)
    first = Household.objects.get(pk=eligible[0][0])
    case = Case.objects.create(program_id="dibao", kind="household", path="dibao", household=first, applicant_id=first.head_id,
                               area_id=first.area_id, channel="walk_in", status="confirmed", applied_on=dt.date(2025, 11, 3))
    decision = Decision.objects.create(case=case, outcome="approved", decided_by="demo", decided_at=timezone.now(),
                                       decided_on=dt.date(2025, 11, 20), letter_number="DEMO-PAYROLL-1")
    accounts = dict(Household.objects.filter(pk__in=[e[0] for e in eligible]).values_list("id", "bank_account"))
    Enrollment.objects.bulk_create([
        Enrollment(program_id="dibao", household_id=h, area_id=area, case=case, decision=decision, status="active",
                   monthly_amount=amount, start_month=month, next_recheck_date=dt.date(2026, 12, 1),
                   bank_account="" if n % 9 == 4 else accounts[h])
        for n, (h, area, amount) in enumerate(eligible)])
    return {"enrolled": len(eligible), "total": sum((e[2] for e in eligible), Decimal("0.00"))}


def _yuan(text: str) -> Decimal:
    return Decimal(text.strip().split()[0].replace("¥", "").replace(",", ""))


def _csv(page, base_url: str, href: str) -> list[list[str]]:
    response = page.request.get(f"{base_url}{href}")
    assert response.status == 200
    return list(csv.reader(io.StringIO(response.text())))


def test_officer_generates_leader_approves_officer_exports(browser, live_site, demo_county):
    from safetynet.demo.generator import DEFAULT_PASSWORD
    from safetynet.payroll.models import PayrollRun

    base = live_site.url
    officer = browser.new_page(viewport=DESKTOP, locale="zh-CN")     # a Chinese office: its summary is Chinese
    log_in(officer, base, "county_officer", DEFAULT_PASSWORD)
    officer.goto(f"{base}/payments/")
    assert officer.input_value("#id_county") == COUNTY
    officer.fill("#id_month", "2025-12")
    officer.click("form:has(#id_month) button[type=submit]")
    officer.wait_for_url("**/payments/runs/*/")
    run = PayrollRun.objects.get()
    assert run.status == "generated" and run.generated_by_username == "county_officer"
    assert _yuan(officer.text_content("[data-testid=run-total]")) == demo_county["total"]
    assert officer.locator("form[action$='/approve/']").count() == 0          # the maker cannot approve
    screenshot(officer, "payroll-run-generated")

    leader = browser.new_page(viewport=PHONE)
    log_in(leader, base, "county_leader", DEFAULT_PASSWORD)
    leader.goto(f"{base}/payments/runs/{run.pk}/")
    leader.click("form[action$='/approve/'] button[type=submit]")
    leader.wait_for_selector(".alert-success")
    assert PayrollRun.objects.get().status == "approved" and PayrollRun.objects.get().approved_by_username == "county_leader"
    screenshot(leader, "payroll-run-approved-phone")
    assert leader.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1

    officer.reload()
    officer.click("form[action$='/export/'] button[type=submit]")
    officer.wait_for_selector("[data-testid=bank-summary]")
    screenshot(officer, "payroll-run-exported")
    shown_total = _yuan(officer.text_content("[data-testid=run-total]"))
    shown_payable = _yuan(officer.text_content("[data-testid=run-payable]"))
    shown_no_account = _yuan(officer.text_content("[data-testid=run-no-account]"))
    rows = _csv(officer, base, officer.get_attribute("[data-testid=bank-summary] a", "href"))[1:]
    summary = {row[1]: row for row in rows if row[1]}                  # one row per bank, by its code
    files_row, no_account_row, run_row = [row for row in rows if not row[1]]   # then the three totals
    assert run_row[2] == "本批次总计" and Decimal(run_row[5]) == shown_total == demo_county["total"]
    assert Decimal(files_row[5]) == shown_payable and Decimal(no_account_row[5]) == shown_no_account
    assert shown_payable + shown_no_account == shown_total and shown_no_account > 0
    files = officer.locator("[data-testid=bank-file] a")
    assert files.count() >= 1
    files_total = Decimal("0.00")
    for i in range(files.count()):
        rows = _csv(officer, base, files.nth(i).get_attribute("href"))
        name = files.nth(i).text_content().strip()
        line = next(r for r in summary.values() if r[3] == name)
        assert sum(Decimal(r[2]) for r in rows[1:]) == Decimal(line[5]) and len(rows) - 1 == int(line[4])
        files_total += Decimal(line[5])
    assert files_total == shown_payable
    assert PayrollRun.objects.get().status == "exported"


def test_county_leader_simulates_a_higher_standard(browser, live_site, demo_county):
    from safetynet.demo.generator import DEFAULT_PASSWORD

    base = live_site.url
    leader = browser.new_page(viewport=DESKTOP)
    log_in(leader, base, "county_leader", DEFAULT_PASSWORD)
    leader.goto(f"{base}/payments/")
    leader.click("a[href='/payments/simulation/']")
    leader.select_option("#id_key", "rural_standard")
    leader.fill("#id_value", "800")
    leader.fill("#id_month", "2026-01")
    leader.click("[data-testid=simulation-form] button[type=submit]")
    leader.wait_for_selector("[data-testid=cost-after]")
    leader.wait_for_selector("#simulation-chart[data-ready='1']")
    assert _yuan(leader.text_content("[data-testid=cost-before]")) == demo_county["total"]
    assert _yuan(leader.text_content("[data-testid=cost-after]")) > demo_county["total"]
    assert int(leader.text_content("[data-testid=entering]").replace(",", "")) > 0
    screenshot(leader, "payroll-simulation")
    phone = browser.new_page(viewport=PHONE)
    log_in(phone, base, "county_leader", DEFAULT_PASSWORD)
    phone.goto(leader.url)
    screenshot(phone, "payroll-simulation-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
