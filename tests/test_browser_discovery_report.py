"""Browser test of the grid report at phone size (issue 17 part 1): the page opens online (its
service worker installs), the network goes, a report is written and waits on the phone (the page
still opens from its cache), the network comes back, the report is sent, and exactly one lead is
in the town's leads. Screenshots at 390×844 go to test-results/screenshots/."""
from __future__ import annotations

import pytest

from tests.browser import PHONE, log_in, screenshot
from tests.conftest import PASSWORD, TOWN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_report_written_offline_is_sent_once_when_the_network_returns(browser, live_site, make_actor, village):
    from django.core.cache import cache

    from safetynet.discovery.models import GridReport, Lead

    cache.clear()
    base = live_site.url
    grid_worker = make_actor("grid_worker", village.code)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    page = context.new_page()
    log_in(page, base, grid_worker.username, PASSWORD)
    page.goto(f"{base}/discovery/report/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
    page.wait_for_selector("#queue li")
    screenshot(page, "discovery-report-phone")

    context.set_offline(True)
    page.wait_for_selector("#net.off")
    page.reload()                                                  # the shell comes from the worker's cache
    page.wait_for_selector("[data-testid=report-form]")
    page.check("input[name=who][value=new]")
    page.fill("#name", "张大山")
    page.fill("#approximate_age", "67")
    page.select_option("#area", village.code)
    page.fill("#address", "村东头老槐树旁")
    page.check("input[name=cause][value=accident]")
    page.check("input[name=urgency][value=urgent]")
    page.fill("#note", "一个人住，腿摔伤了")
    page.click("[data-testid=save]")
    page.wait_for_selector("#queue li[data-state=waiting]")
    assert "等待发送" in page.text_content("#queue")
    screenshot(page, "discovery-report-waiting")
    assert not Lead.objects.exists()

    context.set_offline(False)
    page.wait_for_selector("#queue li[data-state=sent]", timeout=20_000)
    lead = Lead.objects.get(area__code__startswith=TOWN)
    assert lead.number in page.text_content("#queue li[data-state=sent]")
    screenshot(page, "discovery-report-sent")

    page.click("[data-testid=send-now]")                            # another try sends nothing twice
    page.wait_for_timeout(500)
    assert Lead.objects.filter(area__code__startswith=TOWN).count() == 1 and GridReport.objects.count() == 1
    assert (lead.name, lead.cause, lead.urgency, lead.source) == ("张大山", "accident", "urgent", "grid_report")
    context.close()

    # The town's queue, as its worker sees it on a phone: exactly that one lead.
    town_worker = make_actor("town_worker", TOWN)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, town_worker.username, PASSWORD)
    page.goto(f"{base}/discovery/leads/?state=open")
    rows = page.locator("tbody tr[data-testid^=lead-]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-testid") == f"lead-{lead.pk}" and lead.number in rows.first.text_content()
    screenshot(page, "discovery-town-queue-phone")
    context.close()


def test_a_household_kept_on_the_phone_is_chosen_offline(browser, live_site, make_actor, village):
    from django.core.cache import cache

    from PIL import Image

    from safetynet.core.privatefiles import private_root
    from safetynet.discovery.models import GridReport, Lead
    from tests.registry_helpers import make_household

    cache.clear()
    base = live_site.url
    household = make_household(make_actor("town_worker", TOWN), village.code, address="正定镇东街 18 号")
    grid_worker = make_actor("grid_worker", village.code)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, grid_worker.username, PASSWORD)
    page.goto(f"{base}/discovery/report/")
    page.wait_for_selector("#hh-note:has-text('1')")                   # one household kept on the phone
    context.set_offline(True)
    page.wait_for_selector("#net.off")
    page.fill("#q", "东街")
    page.wait_for_selector(f"[data-testid=household-results] button[data-household='{household.pk}']")
    assert household.head.name not in page.text_content("#hh-results")            # masked on the phone
    page.click(f"[data-testid=household-results] button[data-household='{household.pk}']")
    page.check("input[name=cause][value=job_loss]")
    page.set_input_files("#photo", files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": _big_photo()}])
    page.wait_for_selector("#photo-preview:not([hidden])")              # shrunk on the phone (no blob: URL: the CSP)
    page.click("[data-testid=save]")
    page.wait_for_selector("#queue li[data-state=waiting]")
    screenshot(page, "discovery-report-household-waiting")
    context.set_offline(False)
    page.wait_for_selector("#queue li[data-state=sent]", timeout=20_000)
    lead = Lead.objects.get()
    assert lead.household_id == household.pk and lead.cause == "job_loss"
    report = GridReport.objects.get()
    assert report.photo_type == "image/jpeg" and not report.photo_refused and report.photo_bytes < 200_000
    with Image.open(private_root() / report.photo) as kept:
        assert max(kept.size) == 640                                    # 1600×1200 shrunk to 640×480
    assert "东街" not in page.text_content("#queue")                                 # sent: who is no longer kept
    context.close()


def _big_photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.radial_gradient("L").resize((1600, 1200)).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()
