"""Browser test of changes and exits (issue 5 part 3): a death found in public-security data waits
in the town worker's queue; the worker confirms it inline (htmx) on a phone; the county officer
sees the enrollment's months (the share stopped from the month after the death) and records a
suspension on the desktop page."""
import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.conftest import PASSWORD
from tests.payments_helpers import D
from tests.conftest import COUNTY
from tests.verification_helpers import import_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_death_is_confirmed_in_the_queue_and_the_months_follow(browser, live_site, payroll, clock, vdata):
    from safetynet.enrollments import triggers
    from safetynet.enrollments.models import ChangeProposal, EnrollmentChange
    from safetynet.registry.models import Person

    p = payroll
    spouse = Person.objects.get(household_id=p.base.household_id, relation_to_head="spouse")
    import_rows(p.posts.officer, "public_security_deaths",
                [{"id_number": spouse.id_number, "name": spouse.name, "death_date": "2025-10-15"}])
    clock.set(D(2025, 10, 20))
    triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY)
    proposal = ChangeProposal.objects.get()

    phone = browser.new_page(viewport=PHONE)
    log_in(phone, live_site.url, p.posts.worker.username, PASSWORD)
    phone.goto(f"{live_site.url}/payments/changes/")
    row = phone.locator(f"#proposal-{proposal.pk}")
    assert spouse.name in row.text_content() and "¥1,170.00" in row.text_content()
    screenshot(phone, "changes-queue-phone")
    row.locator("[data-testid=confirm]").click()
    phone.wait_for_selector(f"#proposal-{proposal.pk} .badge.text-bg-success")
    assert ChangeProposal.objects.get(pk=proposal.pk).status == "confirmed"

    desk = browser.new_page(viewport=DESKTOP)
    log_in(desk, live_site.url, p.posts.officer.username, PASSWORD)
    desk.goto(f"{live_site.url}/payments/changes/enrollments/{p.base.pk}/")
    months = desk.text_content("[data-testid=months]")
    assert "2025-10" in months and "¥2,070.00" in months and "¥1,170.00" in months
    screenshot(desk, "changes-enrollment")
    form = desk.locator("[data-testid=decide-form]")
    form.locator("select[name=kind]").select_option("suspension")
    form.locator("input[name=effective_month]").fill("2025-12")
    form.locator("textarea[name=reason]").fill("外出务工，复核期间无法联系")
    form.locator("button[type=submit]").click()
    desk.wait_for_selector(".alert-success")
    assert EnrollmentChange.objects.filter(enrollment=p.base, kind="suspension").exists()


def test_an_overpayment_is_recovered_in_part_and_the_rest_waived(browser, live_site, payroll, clock):
    from safetynet.enrollments import decisions
    from safetynet.payroll import services
    from safetynet.enrollments.models import Overpayment

    p = payroll
    e = p.enroll("800.00")
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    clock.set(D(2025, 11, 3))
    decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=e.pk, kind="suspension", reason="隐瞒收入",
                                   effective_month="2025-10")

    desk = browser.new_page(viewport=DESKTOP)
    log_in(desk, live_site.url, p.posts.officer.username, PASSWORD)
    desk.goto(f"{live_site.url}/payments/changes/")
    assert "¥800.00" in desk.text_content("[data-testid=town-overpaid]")
    desk.locator("[data-testid=overpayment-row] a").click()
    form = desk.locator("[data-testid=recover-form]")
    form.locator("input[name=amount]").fill("300")
    form.locator("select[name=method]").select_option("cash")
    form.locator("button[type=submit]").click()
    desk.wait_for_selector(".alert-success")
    assert "¥500.00" in desk.text_content("[data-testid=overpayments]")
    waiver = desk.locator("[data-testid=waive-form]")
    waiver.locator("select[name=leader]").select_option(p.posts.county_leader.username)
    waiver.locator("textarea[name=waive_reason]").fill("户主重病，无力退还")
    waiver.locator("button[type=submit]").click()
    desk.wait_for_selector(".alert-success")
    screenshot(desk, "changes-overpayment-settled")
    assert desk.locator("[data-testid=settlement]").count() == 2
    assert Overpayment.objects.get(enrollment=e).status == "waived"
