"""Standards pages: values in force with source and origin, history, the county officer's form;
no form for other roles (403 on POST), 404 for another county's area."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from safetynet.programs.models import Parameter

COUNTY = "130123"
TOWN = "130123100"


def next_month() -> dt.date:
    today = timezone.localdate()
    return dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def test_login_required(client, standards):
    response = client.get("/programs/dibao/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_town_worker_sees_values_in_force_without_the_form(client_for, standards):
    client = client_for("town_worker", TOWN)
    response = client.get("/programs/dibao/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="standards"' in html
    assert "¥720.00" in html and "¥900.00" in html and "正定县" in html
    assert "Measures for the Review and Confirmation of Minimum Living Guarantees, art. 23" in html
    assert "POLICY.md §1 ·" not in html
    assert 'name="reason"' not in html
    assert client.post("/programs/dibao/", {"key": "rural_standard", "value": "1", "effective_from": "2030-01",
                                            "reason": "x"}).status_code == 403
    assert client.get("/programs/").status_code == 302


def test_missing_standard_is_flagged(client_for, county):
    client = client_for("county_officer", COUNTY)
    html = client.get("/programs/dibao/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="missing"' in html


def test_county_officer_sets_a_value_from_a_month(client_for, standards):
    client = client_for("county_officer", COUNTY)
    month = next_month()
    response = client.post("/programs/dibao/", {"key": "rural_standard", "value": "780.00",
                                                "effective_from": month.strftime("%Y-%m"), "reason": "县通知 12 号"})
    assert response.status_code == 302
    row = Parameter.objects.get(program_id="dibao", key="rural_standard", area_id=COUNTY, effective_from=month)
    assert row.value == "780.00"
    html = client.get(f"/programs/dibao/?month={month:%Y-%m}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "¥780.00" in html
    history = client.get("/programs/dibao/rural_standard/history/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "¥780.00" in history and "¥720.00" in history and "县通知 12 号" in history


def test_form_errors_are_shown_next_to_the_field_and_input_kept(client_for, standards):
    client = client_for("county_officer", COUNTY)
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    response = client.post("/programs/dibao/", {"key": "rural_standard", "value": "781.50",
                                                "effective_from": last.strftime("%Y-%m"), "reason": "late"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html and "cannot start before the current month" in html
    assert 'value="781.50"' in html
    assert not Parameter.objects.filter(value="781.50").exists()


def test_town_level_page_and_other_county_404(client_for, standards):
    from safetynet.areas.models import Area

    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    officer = client_for("county_officer", COUNTY)
    assert officer.get(f"/programs/dibao/?area={TOWN}").status_code == 200
    outsider = client_for("county_officer", "130124")
    assert outsider.get(f"/programs/dibao/?area={COUNTY}").status_code == 404
    assert outsider.get("/programs/lottery/").status_code == 404
    assert outsider.get("/programs/dibao/nothing/history/").status_code == 404


def test_special_hardship_and_temporary_pages(client_for, standards):
    client = client_for("county_officer", COUNTY)
    for code, text in (("special_hardship", "¥800.00"), ("temporary", "4 ×")):
        html = client.get(f"/programs/{code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert text in html
