"""A town office's real day (issue 15), in a real browser and in Chinese: one dibao case driven
through every post to an enrollment, then the month's payroll generated, approved, exported and
reconciled with the bank's returns. Twice: (a) a household already in the registry; (b) a walk-in
household registered on the spot (household, members, income), then applied for.

Every field typed or chosen and every submit is counted by post (tests/actions.py) and printed as
a table; the figures go in docs/benchmarks.md ("Office day (issue 15)"). The test fails when:
- the registered household's case, from application to enrollment, takes more than 12 staff
  actions summed over all posts, or the walk-in's (registration included) more than 30;
- a fact the system already knows (a name, ID number, date, amount or address in the registry,
  or typed earlier in the case) is typed again;
- a page visited shows untranslated English in <main> (tests/untranslated.py).

Posts: the town worker (registers, applies, accepts, surveys, gives the town opinion, publishes
the notice), the county officer (verification, the payroll), another county officer (confirms:
four eyes, the one who verified does not confirm), the county leader (approves the payroll).
The notice closes by itself when its seven days are over (`cases.notices.close_ended_notices`,
the daily task), so nobody clicks for it."""
from __future__ import annotations

import csv
import io
import pytest

from tests.actions import CountingPage, Ledger
from tests.browser import DESKTOP, log_in, screenshot
from tests.cases_helpers import D
from tests.cases_helpers import TOWN, new_id
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
REGISTERED_LIMIT = 12
WALK_IN_LIMIT = 30
SURVEY = "form[data-action=record_survey]"


class Office:
    """The posts of the day, each logged in in its own browser context (Chinese interface)."""

    def __init__(self, browser, base: str, posts, confirmer, staff):
        self.browser, self.base, self.posts, self.confirmer, self.staff = browser, base, posts, confirmer, staff
        self._pages = {}

    def page(self, ledger: Ledger, name: str) -> CountingPage:
        actor = {"town worker": self.posts.worker, "county officer": self.posts.officer,
                 "county officer 2": self.confirmer, "county leader": self.posts.county_leader}[name]
        if name not in self._pages:
            context = self.browser.new_context(viewport=DESKTOP, locale="zh-CN")
            page = context.new_page()
            log_in(page, self.base, actor.username, PASSWORD)
            self._pages[name] = page
        ledger.ignore_words |= {a.username for a in (self.posts.worker, self.posts.officer, self.confirmer,
                                                     self.posts.county_leader)} | {"system"}
        return CountingPage(self._pages[name], ledger, name)


@pytest.fixture
def office(browser, live_site, settings, tmp_path, posts, make_actor, county, system, standards, clock):
    """The posts, the town's staff register (the worker and a colleague, so the survey's
    investigators are picked, not typed), and a worker that runs each job as it is queued."""
    from django.core.cache import cache

    from safetynet.workforce.services import register_staff_identity

    settings.TASKS = IMMEDIATE
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    confirmer = make_actor("county_officer", county.code, username="county_officer_b")
    staff = [register_staff_identity(actor=system, name="王乡干", id_number=new_id(D(1980, 4, 1)), area_code=TOWN,
                                     kind="town_staff", user_id=posts.worker.user_id),
             register_staff_identity(actor=system, name="赵乡干", id_number=new_id(D(1982, 8, 1), sex="female"),
                                     area_code=TOWN, kind="town_staff")]
    return Office(browser, live_site.url, posts, confirmer, staff)


def _know_registry(ledger: Ledger, household) -> None:
    """What the registry holds about the household: typing any of it again is typing twice."""
    from safetynet.registry.models import Person

    ledger.know("registry: address", household.address)
    ledger.know("registry: bank account", household.bank_account)
    for p in Person.objects.filter(household=household):
        ledger.know(f"registry: {p.name}", p.name, p.id_number, p.birth_date.isoformat())
    for item in household.income_items.all():
        ledger.know("registry: declared income", item.monthly_amount)


def _status(page) -> str:
    return page.get_attribute("[data-testid=case-status]", "data-status")


def _register_walk_in(office: Office, ledger: Ledger, village_code: str):
    """The household comes to the window: registered with its head, two members and its income."""
    from safetynet.registry.models import Household

    ledger.phase = "registry"
    base = office.base
    worker = office.page(ledger, "town worker")
    worker.goto(f"{base}/registry/households/new/")
    from safetynet.areas.models import Area

    # the village found by typing its name (the area search widget), not picked from a list
    worker.fill("[name=area_code]", Area.objects.get(code=village_code).name, field="village", lookup=True)
    worker.fill("[name=address]", "正定镇东街村幸福路18号")
    worker.choose("[name=registration_type]", "rural")
    worker.fill("[name=bank_account]", "6217000099988877766")
    worker.fill("[name=head-name]", "刘德顺")
    worker.fill("[name=head-id_number]", new_id(D(1968, 2, 3)))
    family = (("陈秀兰", new_id(D(1971, 9, 9), sex="female"), "spouse"), ("刘小军", new_id(D(2014, 6, 1)), "child"))
    with_rows = worker.locator("[name='members-0-name']").count() > 0      # the family on the same page
    if with_rows:
        for n, (name, number, relation) in enumerate(family):
            worker.fill(f"[name='members-{n}-name']", name)
            worker.fill(f"[name='members-{n}-id_number']", number)
            worker.choose(f"[name='members-{n}-relation_to_head']", relation)
    worker.submit("main form button[type=submit]", field="register household")
    household = Household.objects.order_by("-pk").first()
    assert worker.url.endswith(f"/registry/households/{household.pk}/"), worker.url
    for name, number, relation in (() if with_rows else family):
        worker.goto(f"{base}/registry/households/{household.pk}/members/new/")
        worker.fill("[name=name]", name)
        worker.fill("[name=id_number]", number)
        worker.choose("[name=relation_to_head]", relation)
        worker.submit("main form button[type=submit]", field="add member")
    assert household.members.count() == 3
    worker.goto(f"{base}/registry/households/{household.pk}/income/")
    worker.choose("[name='items-0-category']", "wages")
    worker.fill("[name='items-0-monthly_amount']", "850")
    worker.choose("[name='items-0-person_id']", str(household.head_id))
    worker.submit("main form button[type=submit]", field="declare income")
    return household


def _case_to_enrollment(office: Office, ledger: Ledger, household, clock):
    """Every post's step, from the application to the enrollment, as few actions as the pages ask."""
    from safetynet.cases.models import Case
    from safetynet.enrollments.models import Enrollment

    ledger.phase = "case"
    base = office.base
    worker = office.page(ledger, "town worker")

    # the application, from the household's page (its apply button, where there is one)
    worker.goto(f"{base}/registry/households/{household.pk}/")
    apply_link = worker.locator(f"main a[href*='/cases/new/?household={household.pk}'][href*='dibao']")
    if apply_link.count():
        with worker.expect_navigation():
            apply_link.first.click()
        worker.read_language()
    else:
        worker.goto(f"{base}/cases/new/?household={household.pk}")
    if worker.input_value("#id_program") != "dibao":
        worker.choose("#id_program", "dibao")
    worker.submit("main form button[type=submit]", field="apply")
    case = Case.objects.get(household=household)
    if case.status == "applied":
        worker.submit("form[data-action=accept] button[type=submit]", field="accept")
    assert _status(worker) == "accepted", worker.text_content("main")

    # the home visit: investigators picked from the staff register, the findings typed
    for identity in office.staff:
        box = f"{SURVEY} input[name='record_survey-investigators'][value='{identity.pk}']"
        if not worker.is_checked(box):
            worker.check(box, field="investigator")
    worker.fill(f"{SURVEY} [name='record_survey-findings']", "走访：家中无贵重物品，收入如申报。")
    if not worker.is_checked(f"{SURVEY} [name='record_survey-signed_by_household']"):
        worker.check(f"{SURVEY} [name='record_survey-signed_by_household']")
    worker.submit(f"{SURVEY} button[type=submit]", field="record survey")
    assert _status(worker) == "surveyed", worker.text_content("main")

    # the county's verification
    officer = office.page(ledger, "county officer")
    officer.goto(f"{base}/cases/{case.pk}/")
    if not officer.input_value("[name='verify-summary']"):
        officer.fill("[name='verify-summary']", "各部门核对无异常")
    officer.submit("form[data-action=verify] button[type=submit]", field="verify")
    assert _status(officer) == "verified", officer.text_content("main")

    # the town's opinion and the notice
    worker.goto(f"{base}/cases/{case.pk}/")
    if not worker.input_value("[name='give_town_opinion-opinion']"):
        worker.fill("[name='give_town_opinion-opinion']", "经审核，符合最低生活保障条件")
    worker.submit("form[data-action=give_town_opinion] button[type=submit]", field="town opinion")
    if _status(worker) == "town_reviewed":                   # the notice not published with the opinion
        if not worker.input_value("[name='publish_notice-starts_on']"):
            worker.fill("[name='publish_notice-starts_on']", clock().isoformat())
        worker.submit("form[data-action=publish_notice] button[type=submit]", field="publish notice")
    assert _status(worker) == "in_notice", worker.text_content("main")

    # seven days later the notice closes by itself (the daily task), or the town closes it
    clock.advance(7)
    try:
        from safetynet.cases.notices import close_ended_notices
    except ImportError:
        close_ended_notices = None
    if close_ended_notices is not None:
        from safetynet.areas.actors import system_actor

        close_ended_notices(actor=system_actor())
    worker.goto(f"{base}/cases/{case.pk}/")
    if _status(worker) == "in_notice":
        worker.submit("form[data-action=close_notice] button[type=submit]", field="close notice")
    assert _status(worker) == "notice_closed", worker.text_content("main")

    # another county officer confirms (four eyes)
    confirmer = office.page(ledger, "county officer 2")
    confirmer.goto(f"{base}/cases/{case.pk}/")
    confirmer.submit("form[data-action=confirm] button[type=submit]", field="confirm")
    assert _status(confirmer) == "confirmed", confirmer.text_content("main")
    enrollment = Enrollment.objects.get(case=case)
    assert enrollment.status == "active" and enrollment.monthly_amount > 0
    screenshot(confirmer.page, f"office-day-confirmed-{case.pk}")
    return case, enrollment


def _csv(page, url: str) -> list[list[str]]:
    response = page.request.get(url)
    assert response.status == 200, url
    return list(csv.reader(io.StringIO(response.text().lstrip("\ufeff"))))


def _payroll(office: Office, ledger: Ledger, enrollment, tmp_path):
    """The month's payroll: generated (county officer), approved (county leader), exported, and
    reconciled with the bank's return file (county officer)."""
    from safetynet.payroll.models import Payment, PayrollRun

    ledger.phase = "payroll"
    base = office.base
    month = enrollment.start_month.strftime("%Y-%m")
    officer = office.page(ledger, "county officer")
    officer.goto(f"{base}/payments/")
    if officer.input_value("#id_month") != month:
        officer.fill("#id_month", month)
    officer.submit("form:has(#id_month) button[type=submit]", field="generate payroll", wait_for="**/payments/runs/*/")
    run = PayrollRun.objects.get(month=enrollment.start_month)
    assert Payment.objects.filter(run=run, enrollment=enrollment).exists()

    leader = office.page(ledger, "county leader")
    leader.goto(f"{base}/payments/runs/{run.pk}/")
    leader.submit("form[action$='/approve/'] button[type=submit]", field="approve payroll")
    run.refresh_from_db()
    assert run.status == "approved", run.status

    officer.goto(f"{base}/payments/runs/{run.pk}/")
    officer.submit("form[action$='/export/'] button[type=submit]", field="export bank files",
                   wait_for=f"**/payments/runs/{run.pk}/")
    officer.wait_for_selector("[data-testid=bank-summary]")
    officer.read_language()
    run.refresh_from_db()
    assert run.status == "exported", run.status

    # the bank pays every line and sends its return file back
    returns = [["reference", "amount", "result"]]
    for i in range(officer.locator("[data-testid=bank-file] a").count()):
        rows = _csv(officer, base + officer.locator("[data-testid=bank-file] a").nth(i).get_attribute("href"))
        header = rows[0]
        ref = next((n for n, h in enumerate(header) if h in ("reference", "流水号", "参考号")), len(header) - 1)
        amount = next((n for n, h in enumerate(header) if h in ("amount", "金额")), 2)
        returns += [[r[ref], r[amount], "paid"] for r in rows[1:]]
    path = tmp_path / f"returns-{run.pk}.csv"
    path.write_text("\n".join(",".join(r) for r in returns) + "\n", encoding="utf-8")
    officer.upload("#id_file", str(path), field="bank returns")
    officer.submit("form[action$='/returns/'] button[type=submit]", field="import returns",
                   wait_for=f"**/payments/runs/{run.pk}/")
    officer.wait_for_load_state()
    officer.read_language()
    run.refresh_from_db()
    assert run.status == "reconciled", run.status
    return run


def _report(ledger: Ledger, limit: int, phases: set[str]) -> int:
    used = ledger.count(phases=phases)
    print("\n" + ledger.table())
    print(f"{ledger.title}: {used} staff actions from {'registration' if 'registry' in phases else 'application'} "
          f"to enrollment (limit {limit}); payroll {ledger.count(phases={'payroll'})} more")
    return used


def test_office_day_registered_household(office, poor_household, clock, tmp_path):
    ledger = Ledger("registered household")
    _know_registry(ledger, poor_household)
    case, enrollment = _case_to_enrollment(office, ledger, poor_household, clock)
    _payroll(office, ledger, enrollment, tmp_path)
    used = _report(ledger, REGISTERED_LIMIT, {"case"})
    assert not ledger.problems, "\n".join(ledger.problems)
    assert used <= REGISTERED_LIMIT, f"{used} actions for a registered household (at most {REGISTERED_LIMIT})"


def test_office_day_walk_in_household(office, village, clock, tmp_path):
    ledger = Ledger("walk-in household")
    household = _register_walk_in(office, ledger, village.code)
    case, enrollment = _case_to_enrollment(office, ledger, household, clock)
    case.refresh_from_db()
    assert enrollment.monthly_amount == case.proposed_amount
    _payroll(office, ledger, enrollment, tmp_path)
    used = _report(ledger, WALK_IN_LIMIT, {"registry", "case"})
    assert not ledger.problems, "\n".join(ledger.problems)
    assert used <= WALK_IN_LIMIT, f"{used} actions for a walk-in household (at most {WALK_IN_LIMIT})"
