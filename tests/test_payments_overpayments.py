"""Overpayments recovered or waived: the county officer records money paid back (in parts, until
nothing is outstanding) or the waiver of what is left, naming the county leader who decided it;
audited; shown on the enrollment page, the outstanding total of each town on the changes queue,
and through the API. Denial by role and area, bad input."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from django.urls import reverse

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.enrollments import change_selectors, decisions, overpayments
from safetynet.payroll import services
from safetynet.enrollments.models import Overpayment, OverpaymentSettlement
from tests.payments_helpers import D
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.conftest import force_login


def overpaid(p, amount="800.00", area=None):
    """An enrollment paid for 2025-10 in an approved run, then suspended from 2025-10: one
    Overpayment of the whole amount."""
    e = p.enroll(amount, area=area)
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    if run.status != "approved":
        services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    return e


def suspend(p, e):
    decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=e.pk, kind="suspension", reason="核查发现隐瞒收入",
                                   effective_month="2025-10")
    return Overpayment.objects.get(enrollment=e)


@pytest.fixture
def owed(payroll, clock):
    p = payroll
    e = overpaid(p)
    clock.set(D(2025, 11, 3))
    return p, e, suspend(p, e)


def test_recoveries_in_parts_until_nothing_is_outstanding(owed, clock):
    p, e, over = owed
    assert (over.amount, over.outstanding, over.status) == (Decimal("800.00"), Decimal("800.00"), "open")
    first = overpayments.record_recovery(actor=p.posts.officer, overpayment_id=over.pk, amount="300", recovered_on="2025-11-03",
                                         method="cash")
    over.refresh_from_db()
    assert (over.outstanding, over.status, over.settled_on) == (Decimal("500.00"), "open", None)
    assert (first.kind, first.amount, first.method, first.recorded_by) == ("recovered", Decimal("300.00"), "cash",
                                                                          p.posts.officer.username)
    event = AuditEvent.objects.filter(action="payments.recover_overpayment", object_id=str(over.pk)).get()
    assert event.before["outstanding"] == "800.00" and event.after["outstanding"] == "500.00"
    overpayments.record_recovery(actor=p.posts.officer, overpayment_id=over.pk, amount="500.00", method="bank_transfer")
    over.refresh_from_db()
    assert (over.outstanding, over.status, over.settled_on) == (Decimal("0.00"), "recovered", D(2025, 11, 3))
    with pytest.raises(Conflict) as err:
        overpayments.record_recovery(actor=p.posts.officer, overpayment_id=over.pk, amount="1", method="cash")
    assert err.value.code == "overpayment_settled"
    file = change_selectors.enrollment_file(p.posts.worker, e.pk, today=D(2025, 11, 3))
    assert file.overpaid_open == 0


def test_a_waiver_settles_what_is_left_on_a_county_leaders_decision(owed):
    p, _e, over = owed
    overpayments.record_recovery(actor=p.posts.officer, overpayment_id=over.pk, amount="200", method="cash")
    waiver = overpayments.waive_overpayment(actor=p.posts.officer, overpayment_id=over.pk, reason="户主重病，无力退还",
                                            leader=p.posts.county_leader.username, decided_on="2025-11-01")
    over.refresh_from_db()
    assert (over.outstanding, over.status, over.settled_on) == (Decimal("0.00"), "waived", D(2025, 11, 1))
    assert (waiver.kind, waiver.amount, waiver.leader_id, waiver.note) == ("waived", Decimal("600.00"),
                                                                          p.posts.county_leader.user_id, "户主重病，无力退还")
    event = AuditEvent.objects.get(action="payments.waive_overpayment", object_id=str(over.pk))
    assert event.username == p.posts.officer.username and event.after["leader"] == p.posts.county_leader.username
    with pytest.raises(Conflict):
        overpayments.waive_overpayment(actor=p.posts.officer, overpayment_id=over.pk, reason="再次",
                                       leader=p.posts.county_leader.username)


def test_settling_is_refused_to_the_wrong_role_and_area(owed):
    p, _e, over = owed
    for actor in (p.posts.worker, p.posts.leader, p.posts.county_leader, p.posts.inspector, p.posts.cadre):
        with pytest.raises(PermissionDenied):
            overpayments.record_recovery(actor=actor, overpayment_id=over.pk, amount="1", method="cash")
        with pytest.raises(PermissionDenied):
            overpayments.waive_overpayment(actor=actor, overpayment_id=over.pk, reason="x", leader=p.posts.county_leader.username)
    elsewhere = dataclasses.replace(p.posts.officer, area_code=OTHER_TOWN)    # an officer's rights, another town's scope
    with pytest.raises(NotFound):
        overpayments.record_recovery(actor=elsewhere, overpayment_id=over.pk, amount="1", method="cash")
    with pytest.raises(NotFound):
        overpayments.waive_overpayment(actor=elsewhere, overpayment_id=over.pk, reason="x", leader=p.posts.county_leader.username)
    with pytest.raises(NotFound):
        overpayments.record_recovery(actor=p.posts.officer, overpayment_id="x", amount="1", method="cash")
    assert not OverpaymentSettlement.objects.exists()
    over.refresh_from_db()
    assert over.outstanding == Decimal("800.00")


def test_settling_refuses_bad_input(owed, make_actor):
    from safetynet.areas.models import Post

    p, _e, over = owed

    def recover(**kw):
        with pytest.raises(ValidationError) as err:
            overpayments.record_recovery(actor=p.posts.officer, overpayment_id=over.pk, **{"amount": "100", "method": "cash", **kw})
        return err.value.field

    assert recover(amount="800.01") == "amount"          # more than outstanding
    assert recover(amount="0") == "amount"
    assert recover(amount="-5") == "amount"
    assert recover(amount="abc") == "amount"
    assert recover(method="deducted") == "method"
    assert recover(method="other") == "note"              # "other" says how
    assert recover(recovered_on="2999-01-01") == "recovered_on"
    assert recover(recovered_on="2025-09-30") == "recovered_on"   # before the overpaid month
    assert recover(recovered_on="2025-13-01") == "recovered_on"

    def waive(**kw):
        with pytest.raises(ValidationError) as err:
            overpayments.waive_overpayment(actor=p.posts.officer, overpayment_id=over.pk,
                                           **{"reason": "无力退还", "leader": p.posts.county_leader.username, **kw})
        return err.value.field

    assert waive(reason=" ") == "reason"
    assert waive(leader="") == "leader"
    assert waive(leader="nobody") == "leader"
    assert waive(leader=p.posts.leader.username) == "leader"       # a town leader does not waive
    assert waive(decided_on="2999-01-01") == "decided_on"
    # an officer who also holds a county leader's post cannot name himself
    Post.objects.create(user_id=p.posts.officer.user_id, role="county_leader", area_id=COUNTY)
    assert waive(leader=p.posts.officer.username) == "leader"
    assert not OverpaymentSettlement.objects.exists()


def test_the_enrollment_page_records_recoveries_and_waivers(client, owed):
    p, e, over = owed
    url = reverse("changes:enrollment", args=[e.pk])
    worker = force_login(client, p.posts.worker)
    page = worker.get(url).content.decode()
    assert 'data-testid="overpayments"' in page and 'data-testid="recover-form"' not in page
    assert worker.post(url, {"action": "recover", "overpayment": over.pk, "amount": "100", "method": "cash"}).status_code == 403
    assert force_login(client, p.posts.other_worker).get(url).status_code == 404
    officer = force_login(client, p.posts.officer)
    page = officer.get(url).content.decode()
    assert 'data-testid="recover-form"' in page and 'data-testid="waive-form"' in page
    assert f'value="{p.posts.county_leader.username}"' in page
    bad = officer.post(url, {"action": "recover", "overpayment": over.pk, "amount": "900", "method": "cash", "note": "部分"})
    assert bad.status_code == 422 and 'value="900"' in bad.content.decode()
    done = officer.post(url, {"action": "recover", "overpayment": over.pk, "amount": "300", "recovered_on": "2025-11-02",
                              "method": "bank_transfer"})
    assert done.status_code == 302
    page = officer.get(url).content.decode()
    assert page.count('data-testid="settlement"') == 1 and "¥500.00" in page
    done = officer.post(url, {"action": "waive", "overpayment": over.pk, "leader": p.posts.county_leader.username,
                              "waive_reason": "困难无力退还"})
    assert done.status_code == 302
    page = officer.get(url).content.decode()
    assert page.count('data-testid="settlement"') == 2 and 'data-testid="recover-form"' not in page


def test_the_changes_queue_shows_the_outstanding_total_of_each_town(client, payroll, clock):
    p = payroll
    also, there = p.enroll("300.00"), p.enroll("500.00", area=p.other_village)
    here = overpaid(p, "800.00")
    clock.set(D(2025, 11, 3))
    for e in (here, also, there):
        suspend(p, e)
    overpayments.record_recovery(actor=p.posts.officer, overpayment_id=Overpayment.objects.get(enrollment=here).pk,
                                 amount="100", method="cash")
    towns = {t.town: (t.overpaid, t.overpaid_count) for t in change_selectors.recheck_queue_by_town(p.posts.officer, D(2025, 11, 3))}
    assert towns == {TOWN: (Decimal("1000.00"), 2), OTHER_TOWN: (Decimal("500.00"), 1)}
    assert {t.town for t in change_selectors.recheck_queue_by_town(p.posts.worker, D(2025, 11, 3))} == {TOWN}
    page = force_login(client, p.posts.officer).get(reverse("changes:queue")).content.decode()
    assert page.count('data-testid="town-overpaid"') == 2 and "¥1,000.00" in page and "¥500.00" in page
    assert page.count('data-testid="overpayment-row"') == 3
    page = force_login(client, p.posts.worker).get(reverse("changes:queue")).content.decode()
    assert page.count('data-testid="town-overpaid"') == 1 and page.count('data-testid="overpayment-row"') == 2


BASE = "/api/v1/changes"


def test_the_api_lists_recovers_and_waives(client, owed):
    p, e, over = owed

    def post(actor, path, body):
        return force_login(client, actor).post(f"{BASE}{path}", body, content_type="application/json")

    listed = force_login(client, p.posts.worker).get(f"{BASE}/overpayments").json()
    assert listed["count"] == 1 and listed["items"][0]["outstanding"] == "800.00"
    assert force_login(client, p.posts.other_worker).get(f"{BASE}/overpayments").json()["count"] == 0
    assert post(p.posts.worker, f"/overpayments/{over.pk}/recover", {"amount": "100", "method": "cash"}).status_code == 403
    assert post(p.posts.county_leader, f"/overpayments/{over.pk}/waive",
                {"reason": "x", "leader": p.posts.county_leader.username}).status_code == 403
    assert post(p.posts.officer, "/overpayments/999999/recover", {"amount": "100", "method": "cash"}).status_code == 404
    bad = post(p.posts.officer, f"/overpayments/{over.pk}/recover", {"amount": "900.00", "method": "cash"})
    assert bad.status_code == 422 and bad.json()["field"] == "amount"
    assert post(p.posts.officer, f"/overpayments/{over.pk}/recover", {"amount": "1e3", "method": "cash"}).status_code == 422
    done = post(p.posts.officer, f"/overpayments/{over.pk}/recover", {"amount": "300.00", "method": "cash",
                                                                       "recovered_on": "2025-11-01"})
    assert done.status_code == 200 and done.json()["outstanding"] == "500.00"
    assert done.json()["settlements"][0]["method"] == "cash"
    bad = post(p.posts.officer, f"/overpayments/{over.pk}/waive", {"reason": "困难", "leader": "nobody"})
    assert bad.status_code == 422 and bad.json()["field"] == "leader"
    done = post(p.posts.officer, f"/overpayments/{over.pk}/waive", {"reason": "困难", "leader": p.posts.county_leader.username})
    assert done.status_code == 200 and done.json()["status"] == "waived" and done.json()["outstanding"] == "0.00"
    again = post(p.posts.officer, f"/overpayments/{over.pk}/recover", {"amount": "1", "method": "cash"})
    assert again.status_code == 409 and again.json()["code"] == "overpayment_settled"
    months = force_login(client, p.posts.worker).get(f"{BASE}/enrollments/{e.pk}/months").json()
    assert months["overpaid_open"] == "0.00" and months["overpayments"][0]["status"] == "waived"
