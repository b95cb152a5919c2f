"""The steps issue 15 made shorter, each still the one service it was: an application accepted at
the window in the same submit, the town opinion offered from the assessment, and the payroll's
month offered on the runs page."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from safetynet.cases import services
from safetynet.cases.models import Case, CaseEvent
from safetynet.core.errors import PermissionDenied
from tests.cases_helpers import make_poor_household, walk


def _apply(actor, household, **extra):
    return services.apply_for_assistance(actor=actor, program_code="dibao", household_id=household.pk,
                                         applicant_id=household.head_id, channel="walk_in", **extra)


# --- apply and accept at the window -------------------------------------------------------------

def test_an_application_taken_at_the_window_is_accepted_in_the_same_step(posts, poor_household, clock, standards):
    from safetynet.core.models import AuditEvent

    case = _apply(posts.worker, poor_household, accept=True)
    case = Case.objects.get(pk=case.pk)
    assert case.status == "accepted" and case.accepted_on == clock() and case.consent_recorded_by == posts.worker.username
    assert case.next_action == "record_survey"
    assert list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", "to_status")) == [
        ("apply", "applied"), ("accept", "accepted")]
    assert list(AuditEvent.objects.filter(object_id=str(case.pk), object_type="cases.case").order_by("sequence")
                .values_list("action", flat=True)) == ["cases.apply", "cases.accept"]


def test_without_accept_the_application_waits_for_acceptance(posts, poor_household, clock, standards):
    case = _apply(posts.worker, poor_household)
    assert Case.objects.get(pk=case.pk).status == "applied"


def test_a_post_that_may_not_accept_cannot_apply_and_accept_and_nothing_is_filed(posts, poor_household, clock, standards):
    """A village cadre files applications but does not accept them: asking for both files nothing."""
    with pytest.raises(PermissionDenied):
        _apply(posts.cadre, poor_household, accept=True)
    assert not Case.objects.filter(household=poor_household).exists()
    assert Case.objects.get(pk=_apply(posts.cadre, poor_household).pk).status == "applied"


def test_apply_and_accept_runs_the_close_relative_check(posts, poor_household, clock, standards, village):
    """Acceptance at the window is the acceptance step: a household member who sits on the village
    committee files the case separately, as accept_application would."""
    from safetynet.registry.models import Person
    from safetynet.workforce.services import register_staff_identity

    head = Person.objects.get(pk=poor_household.head_id)
    register_staff_identity(actor=posts.worker, name=head.name, id_number=head.id_number, area_code=village.code,
                            kind="village_committee")
    case = Case.objects.get(pk=_apply(posts.worker, poor_household, accept=True).pk)
    assert case.status == "accepted" and case.is_close_relative and case.county_visit_required


# --- the town opinion offered from the assessment -----------------------------------------------

def _opinion_offered(client, case) -> str:
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    found = re.search(r'name="give_town_opinion-opinion"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no town-opinion form"
    return html.unescape(found.group(1)).strip()


def test_the_town_opinion_is_offered_from_the_assessment_and_one_submit_records_it(login, posts, poor_household, clock,
                                                                                   standards):
    case = walk(posts, poor_household, clock, to="verified")
    client = login(posts.worker)
    offered = _opinion_offered(client, case)
    assert "meets the conditions" in offered and "2,070.00" in offered, offered
    response = client.post(reverse("cases:act", args=[case.pk, "give_town_opinion"]),
                           {"give_town_opinion-version": case.version, "give_town_opinion-opinion": offered})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "town_reviewed" and case.town_opinion == offered and case.proposed_amount == 2070
    assert CaseEvent.objects.filter(case=case).latest("id").note == offered


def test_a_household_over_the_line_is_offered_a_refusing_opinion(login, posts, village, clock, standards):
    household = make_poor_household(posts.worker, village.code, wages="5000.00")
    case = walk(posts, household, clock, to="verified")
    offered = _opinion_offered(login(posts.worker), case)
    assert "does not meet the conditions" in offered and "2,070.00" not in offered, offered


# --- the payroll month offered ------------------------------------------------------------------

def _month_offered(client) -> str:
    page = client.get(reverse("payments:runs")).content.decode()
    found = re.search(r'id="id_month" name="month" value="([^"]*)"', page)
    return found.group(1) if found else ""


def test_the_payroll_month_offered_follows_the_county_runs(login, posts, county, clock):
    from safetynet.payroll.models import PayrollRun

    client = login(posts.officer)
    assert _month_offered(client) == "2025-10"                 # no run yet: next month (clock 2025-09-22)
    from django.utils import timezone

    run = PayrollRun.objects.create(area_id=county.code, month=dt.date(2025, 10, 1), status="generated", code="T-1")
    assert _month_offered(client) == "2025-10"                 # not approved yet: the same month again
    PayrollRun.objects.filter(pk=run.pk).update(status="approved", approved_at=timezone.now())
    assert _month_offered(client) == "2025-11"                 # approved: the month after
    assert _month_offered(login(posts.county_leader)) == ""    # a post that does not generate has no form


# --- the opinion and the notice in one submit ---------------------------------------------------

def _give_opinion(client, case, **extra):
    case.refresh_from_db()
    data = {"give_town_opinion-version": case.version, "give_town_opinion-opinion": "同意"}
    data.update({f"give_town_opinion-{k}": v for k, v in extra.items()})
    return client.post(reverse("cases:act", args=[case.pk, "give_town_opinion"]), data)


def test_the_notice_is_published_with_the_opinion_by_its_own_step(login, posts, poor_household, clock, standards):
    from safetynet.publicity.models import Notice

    case = walk(posts, poor_household, clock, to="verified")
    client = login(posts.worker)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert re.search(r'name="give_town_opinion-publish_notice"[^>]*checked', page)     # offered, ticked
    assert _give_opinion(client, case, publish_notice="on").status_code == 302
    case.refresh_from_db()
    assert case.status == "in_notice" and case.notice_starts_on == clock() and case.town_opinion == "同意"
    assert list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))[-2:] == [
        "give_town_opinion", "publish_notice"]
    assert Notice.objects.filter(case=case).count() == 1


def test_unticked_the_opinion_alone_is_recorded(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="verified")
    assert _give_opinion(login(posts.worker), case).status_code == 302
    case.refresh_from_db()
    assert case.status == "town_reviewed"


def test_an_ineligible_household_gets_no_notice(login, posts, village, clock, standards):
    case = walk(posts, make_poor_household(posts.worker, village.code, wages="5000.00"), clock, to="verified")
    assert _give_opinion(login(posts.worker), case, publish_notice="on").status_code == 302
    case.refresh_from_db()
    assert case.status == "town_reviewed" and not case.proposed_eligible


def test_a_post_that_may_not_give_the_opinion_publishes_nothing(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="verified")
    assert _give_opinion(login(posts.inspector), case, publish_notice="on").status_code in (403, 404)
    case.refresh_from_db()
    assert case.status == "verified"


def test_the_window_form_accepts_in_the_same_submit_and_a_cadre_is_not_offered_it(login, posts, poor_household, clock,
                                                                                   standards):
    """The new-application page ticks "accept it now" for a post that accepts (one submit at the
    window); a village cadre's form has no such box and files the application only."""
    url = reverse("cases:new")
    page = login(posts.worker).get(url, {"household": poor_household.pk, "program": "dibao"}).content.decode()
    assert 'name="accept"' in page and "checked" in page.split('name="accept"')[1].split(">")[0]
    form = {"household": poor_household.pk, "program": "dibao", "applicant": poor_household.head_id,
            "channel": "walk_in", "dibao_kind": "household", "accept": "on"}
    response = login(posts.worker).post(url, form)
    assert response.status_code == 302
    assert Case.objects.get(household=poor_household).status == "accepted"

    Case.objects.all().delete()
    assert 'name="accept"' not in login(posts.cadre).get(url, {"household": poor_household.pk}).content.decode()
    response = login(posts.cadre).post(url, form)                       # the box is ignored: not the cadre's step
    assert response.status_code == 302
    assert Case.objects.get(household=poor_household).status == "applied"
