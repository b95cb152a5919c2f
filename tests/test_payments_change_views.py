"""Pages for changes and exits: the queue, reporting a change, an enrollment's months and
decisions, a re-check worked to its decision, proposals confirmed inline (htmx); wrong role 403,
other area 404, bad input re-rendered with what was typed (422)."""
import re
from decimal import Decimal

from django.urls import reverse

from safetynet.enrollments import triggers
from safetynet.enrollments.models import ChangeProposal, ChangeReport, EnrollmentChange, Recheck
from safetynet.registry.models import Person
from safetynet.workforce.models import StaffIdentity
from tests.cases_helpers import new_id
from tests.payments_helpers import D
from tests.conftest import COUNTY, TOWN
from tests.verification_helpers import import_other_datasets, import_rows
from tests.conftest import force_login


def test_village_reports_a_change_and_the_town_sees_it_in_its_queue(client, payroll, clock):
    p = payroll
    e = p.enroll("600.00")
    other = p.enroll("600.00", area=p.other_village)
    cadre = force_login(client, p.posts.cadre)
    listing = cadre.get(reverse("changes:report_list"), {"q": e.household.address})
    assert listing.status_code == 200 and e.household.address in listing.content.decode()
    assert cadre.get(reverse("changes:queue")).status_code == 403          # the village reports, the town works
    url = reverse("changes:report_new", args=[e.pk])
    bad = cadre.post(url, {"kind": "income", "description": "   "})
    assert bad.status_code == 422 and not ChangeReport.objects.exists()
    typed = cadre.post(url, {"kind": "income", "description": "女儿外出打工", "reported_on": "2999-01-01"})
    assert typed.status_code == 422 and "女儿外出打工" in typed.content.decode()
    done = cadre.post(url, {"kind": "income", "description": "女儿外出打工，每月寄回1000元"})
    assert done.status_code == 302 and done.url == reverse("changes:report_list")
    recheck = Recheck.objects.get(enrollment=e)
    assert cadre.get(reverse("changes:report_new", args=[other.pk])).status_code == 404
    worker = force_login(client, p.posts.worker)
    page = worker.get(reverse("changes:queue"))
    assert page.status_code == 200 and reverse("changes:recheck", args=[recheck.pk]) in page.content.decode()
    assert worker.get(reverse("changes:recheck", args=[recheck.pk])).status_code == 200
    assert force_login(client, p.posts.other_worker).get(reverse("changes:recheck", args=[recheck.pk])).status_code == 404
    assert force_login(client, p.posts.grid).get(reverse("changes:report_list")).status_code == 403


def test_the_enrollment_page_shows_each_month_and_takes_decisions(client, payroll, clock):
    p = payroll
    e = p.enroll("800.00")
    clock.set(D(2025, 10, 20))
    url = reverse("changes:enrollment", args=[e.pk])
    officer = force_login(client, p.posts.officer)
    page = officer.get(url)
    assert page.status_code == 200 and "¥800.00" in page.content.decode()
    bad = officer.post(url, {"action": "decide", "kind": "suspension", "effective_month": "2025-11", "reason": ""})
    assert bad.status_code == 422 and 'value="2025-11"' in bad.content.decode()
    done = officer.post(url, {"action": "decide", "kind": "suspension", "effective_month": "2025-11", "reason": "外出无法联系"})
    assert done.status_code == 302
    change = EnrollmentChange.objects.get(enrollment=e)
    assert (change.kind, change.effective_month, change.to_status) == ("suspension", D(2025, 11, 1), "suspended")
    months = officer.get(url).context["f"].months
    assert [(m.month, m.due) for m in months[:3]] == [(D(2025, 10, 1), Decimal("800.00")), (D(2025, 11, 1), Decimal("0.00")),
                                                      (D(2025, 12, 1), Decimal("0.00"))]
    worker = force_login(client, p.posts.worker)
    assert worker.get(url).status_code == 200
    assert worker.post(url, {"action": "decide", "kind": "resumption", "reason": "x"}).status_code == 403
    assert force_login(client, p.posts.other_worker).get(url).status_code == 404


def test_a_recheck_is_worked_on_its_page(client, payroll, clock, vdata):
    p = payroll
    clock.set(D(2025, 10, 20))
    worker = force_login(client, p.posts.cadre)
    worker.post(reverse("changes:report_new", args=[p.base.pk]), {"kind": "members", "description": "孙子出生"})
    recheck = Recheck.objects.get()
    url = reverse("changes:recheck", args=[recheck.pk])
    worker = force_login(client, p.posts.worker)
    import_other_datasets(p.posts.officer)      # every department's data there: the re-check may be decided
    assert worker.post(url, {"action": "verify"}).status_code == 302
    # The same picker as a case's survey: the worker's own identity is ticked already, a colleague
    # is ticked from the register, nobody types a name and ID number again.
    me = StaffIdentity.objects.create(user_id=p.posts.worker.user_id, name="刘一", id_number=new_id(D(1980, 1, 1)),
                                      area_id=TOWN, kind="town_staff")
    cadre = StaffIdentity.objects.create(name="陈二", id_number=new_id(D(1981, 1, 1)), area_id=p.village.code,
                                         kind="village_committee")
    page = worker.get(url).content.decode()
    assert re.search(rf'value="{me.pk}"[^>]*checked', page) and f'value="{cadre.pk}"' in page
    bad = worker.post(url, {"action": "survey", "conducted_on": "2025-10-20", "survey-investigators": [me.pk],
                            "findings": "入户"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422 and "入户" in bad.content.decode() and "at least two investigators" in bad.content.decode()
    worker.post(url, {"action": "survey", "conducted_on": "2025-10-20", "survey-investigators": [me.pk, cadre.pk],
                      "findings": "入户核实", "signed": "1"})
    recheck.refresh_from_db()
    assert recheck.survey_investigators == ["刘一", "陈二"] and recheck.survey_signed
    assert worker.post(url, {"action": "close", "outcome": "kept", "reason": "无变化"}).status_code == 403
    officer = force_login(client, p.posts.officer)
    assert officer.post(url, {"action": "close", "outcome": "kept", "reason": "家庭情况稳定"}).status_code == 302
    recheck.refresh_from_db()
    assert recheck.status == "closed" and recheck.outcome == "kept"


def test_proposals_are_confirmed_and_rejected_inline(client, payroll, clock, vdata):
    p = payroll
    alone = p.enroll("720.00")
    head = Person.objects.get(pk=alone.household.head_id)
    spouse = Person.objects.get(household_id=p.base.household_id, relation_to_head="spouse")
    import_rows(p.posts.officer, "public_security_deaths", [
        {"id_number": head.id_number, "name": head.name, "death_date": "2025-10-02"},
        {"id_number": spouse.id_number, "name": spouse.name, "death_date": "2025-10-03"}])
    clock.set(D(2025, 10, 20))
    officer = force_login(client, p.posts.officer)
    assert officer.post(reverse("changes:queue"), {"action": "triggers", "county": COUNTY}).status_code == 302
    first, second = ChangeProposal.objects.order_by("id")
    worker = force_login(client, p.posts.worker)
    queue = worker.get(reverse("changes:queue"))
    assert queue.status_code == 200 and len(queue.context["proposals"]) == 2
    assert worker.post(reverse("changes:queue"), {"action": "triggers", "county": COUNTY}).status_code == 403
    row = worker.post(reverse("changes:queue"), {"action": "reject", "proposal": first.pk, "reason": ""}, HTTP_HX_REQUEST="true")
    assert row.status_code == 422 and f'id="proposal-{first.pk}"' in row.content.decode()
    row = worker.post(reverse("changes:queue"), {"action": "reject", "proposal": first.pk, "reason": "核实本人健在"},
                      HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "核实本人健在" in row.content.decode()
    row = worker.post(reverse("changes:queue"), {"action": "confirm", "proposal": second.pk}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    assert ChangeProposal.objects.get(pk=second.pk).status == "confirmed"
    assert ChangeProposal.objects.get(pk=first.pk).status == "rejected"
    other = force_login(client, p.posts.other_worker)
    assert other.post(reverse("changes:queue"), {"action": "confirm", "proposal": first.pk}).status_code == 404
    assert triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY).proposals == 0


def test_my_work_shows_the_rechecks_due_and_the_proposals_to_confirm_of_the_post(client, payroll, clock, vdata):
    from safetynet.enrollments import change_views, rechecks

    p = payroll
    clock.set(D(2025, 10, 20))
    late, soon, later = (p.enroll("600.00") for _ in range(3))
    for enrollment in (late, soon, later):
        rechecks.record_change_report(actor=p.posts.cadre, enrollment_id=enrollment.pk, kind="income", description="收入变化")
    Recheck.objects.filter(enrollment=late).update(due_on=D(2025, 10, 10))
    Recheck.objects.filter(enrollment=soon).update(due_on=D(2025, 10, 24))
    Recheck.objects.filter(enrollment=later).update(due_on=D(2025, 12, 1))
    spouse = Person.objects.get(household=p.base.household, relation_to_head="spouse")
    import_rows(p.posts.officer, "public_security_deaths", [{"id_number": spouse.id_number, "name": spouse.name,
                                                             "death_date": D(2025, 10, 5)}])
    triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY)
    assert ChangeProposal.objects.filter(status="pending").count() == 1

    def lines(actor):
        return {str(x["label"]): (x["count"], x["url"]) for x in change_views.home_queues(actor)}

    queue = reverse("changes:queue")
    assert lines(p.posts.worker) == {"Re-checks overdue": (1, f"{queue}?due=overdue#rechecks"),
                                     "Re-checks due this week": (1, f"{queue}?due=soon#rechecks"),
                                     "Automatic changes to confirm": (1, f"{queue}#proposals")}
    assert set(lines(p.posts.county_leader)) == {"Re-checks overdue", "Re-checks due this week"}   # decides, confirms nothing
    assert {k: c for k, (c, _u) in lines(p.posts.other_worker).items()} == {
        "Re-checks overdue": 0, "Re-checks due this week": 0, "Automatic changes to confirm": 0}   # another town's
    assert lines(p.posts.cadre) == {} and lines(p.posts.inspector) == {} and lines(p.posts.grid) == {}

    page = force_login(client, p.posts.worker).get(reverse("home")).content.decode()
    assert f"{queue}?due=overdue#rechecks" in page and f"{queue}#proposals" in page
    overdue = client.get(f"{queue}?due=overdue").content.decode()
    assert 'data-testid="due-filter"' in overdue and overdue.count('data-testid="recheck-row"') == 1
    assert reverse("changes:recheck", args=[Recheck.objects.get(enrollment=late).pk]) in overdue
    assert client.get(queue).content.decode().count('data-testid="recheck-row"') == 3
