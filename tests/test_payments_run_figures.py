"""A payroll run's figures as each post may see them (issue 14 item 3): a town post reads its own
town's count, totals, breakdown and change from last month, never the county's; a county post
reads the county's. The API and the pages read them through `selectors.run_figures`."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from safetynet.payroll import selectors, services
from tests.payments_helpers import D
from tests.conftest import COUNTY

BASE = "/api/v1/payments"


@pytest.fixture
def runs(payroll, settings, tmp_path):
    """October: this town ¥2,070 (one), the other town ¥800 (one). November adds ¥500 in the
    other town and raises nothing here: the county ¥3,370 (three)."""
    settings.DATA_DIR = tmp_path / "data"
    p = payroll
    p.elsewhere = p.enroll("800.00", area=p.other_village)
    p.october = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    p.newcomer = p.enroll("500.00", area=p.other_village, start=D(2025, 11, 1))
    p.november = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    assert (p.november.payment_count, str(p.november.total_amount)) == (3, "3370.00")
    return p


def _as(client, actor):
    client.force_login(get_user_model().objects.get(pk=actor.user_id))
    return client


def test_a_town_post_reads_its_towns_figures_of_a_run(client, runs):
    p = runs
    worker = _as(client, p.posts.worker)
    run = worker.get(f"{BASE}/runs/{p.november.pk}").json()
    assert (run["payment_count"], run["total"], run["payable_count"], run["payable"]) == (1, "2070.00", 1, "2070.00")
    assert [t["town"] for t in run["by_town_program"]] == [p.village.code[:9]]
    change = run["change"]
    assert (change["previous_total"], change["total_change"]) == ("2070.00", "0.00")
    assert change["new"] == {"count": 0, "total": "0.00"} and change["regular"] == {"count": 1, "total": "2070.00"}
    assert worker.get(f"{BASE}/runs/{p.november.pk}/diff").json() == change
    totals = worker.get(f"{BASE}/runs/{p.november.pk}/totals").json()
    assert (totals["payment_count"], totals["total"]) == (1, "2070.00")
    listed = worker.get(f"{BASE}/runs").json()["items"]
    assert [(r["payment_count"], r["total"]) for r in listed] == [(1, "2070.00"), (1, "2070.00")]


def test_the_other_town_reads_its_own_change(client, runs):
    p = runs
    other = _as(client, p.posts.other_worker)
    run = other.get(f"{BASE}/runs/{p.november.pk}").json()
    assert (run["payment_count"], run["total"]) == (2, "1300.00")
    assert run["change"]["previous_total"] == "800.00" and run["change"]["new"] == {"count": 1, "total": "500.00"}
    assert run["change"]["total_change"] == "500.00" and run["change"]["ended"] == {"count": 0, "total": "0.00"}


def test_a_county_post_reads_the_countys_figures(client, runs):
    p = runs
    officer = _as(client, p.posts.officer)
    run = officer.get(f"{BASE}/runs/{p.november.pk}").json()
    assert (run["payment_count"], run["total"]) == (3, "3370.00")
    assert {t["town"] for t in run["by_town_program"]} == {p.village.code[:9], p.other_village.code[:9]}
    assert run["change"]["new"] == {"count": 1, "total": "500.00"} and run["change"]["previous_total"] == "2870.00"


def test_a_town_posts_figures_agree_with_the_countys_stored_ones_summed(runs):
    p = runs
    mine = selectors.run_figures(p.posts.worker, p.november)
    theirs = selectors.run_figures(p.posts.other_worker, p.november)
    county = selectors.run_figures(p.posts.officer, p.november)
    for key in ("payment_count", "total_amount", "payable_count", "payable_amount", "no_account_count", "no_account_amount"):
        assert mine[key] + theirs[key] == county[key], key
    assert mine["by_town_program"] + theirs["by_town_program"] == county["by_town_program"]


def test_a_household_moving_between_towns_ends_in_one_and_is_new_in_the_other(runs):
    from safetynet.payroll.models import Payment

    p = runs
    # The December payment of this town's enrollment is made in the other town (the household moved).
    december = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-12")
    Payment.objects.filter(run=december, enrollment=p.base).update(area=p.other_village)
    mine = selectors.run_figures(p.posts.worker, december)["change"]
    theirs = selectors.run_figures(p.posts.other_worker, december)["change"]
    assert mine["ended"] == {"count": 1, "total": "2070.00"} and mine["new"]["count"] == 0
    assert theirs["new"] == {"count": 1, "total": "2070.00"} and theirs["ended"]["count"] == 0


def _shown(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]*)<', html)


def test_the_run_pages_show_a_town_post_its_towns_figures(client, runs):
    p = runs
    worker = _as(client, p.posts.worker)
    page = worker.get(reverse("payments:run", args=[p.november.pk])).content.decode()
    assert _shown(page, "run-count") == ["1"] and _shown(page, "run-total") == ["¥2,070.00"]
    assert "3,370" not in page and "2,870" not in page
    listing = worker.get(reverse("payments:runs")).content.decode()
    assert _shown(listing, "runs-total") == ["¥2,070.00", "¥2,070.00"]
    assert "3,370" not in listing
    officer = _as(client, p.posts.officer)
    page = officer.get(reverse("payments:run", args=[p.november.pk])).content.decode()
    assert _shown(page, "run-count") == ["3"] and _shown(page, "run-total") == ["¥3,370.00"]
