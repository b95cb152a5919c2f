"""The feed of self-paid medical costs to discovery's warnings (issue 20 part 5): the settlements a
household's members were given put it over the medical rule's threshold (a warning and a lead
through `run_warnings`), never counted twice beside the department's data about the same bills,
and a second run raises nothing new. `medical.feeds.self_paid_rows` is named in
`settings.MEDICAL_COSTS_FEEDS` (discovery does not import medical)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from safetynet.discovery.models import Lead
from safetynet.discovery.warning_models import Warning
from safetynet.discovery.warning_run import run_warnings
from safetynet.medical.feeds import self_paid_rows
from safetynet.medical.models import Settlement
from safetynet.medical.settlements import reverse_settlement, settle_bill
from tests.conftest import COUNTY
from tests.medical_helpers import bill
from tests.verification_helpers import import_rows

pytestmark = pytest.mark.django_db
MONTH = "2025-09"
FEED = "safetynet.medical.feeds.self_paid_rows"
# A dibao patient (70 %, no deductible): assistance 3,500.00 of the eligible 5,000.00; the patient
# still pays 1,500.00 + 20,000.00 = 21,500.00, over the default threshold (20,000.00) alone.
LARGE = {"total": "40000.00", "basic": "15000.00", "critical": "0.00", "eligible": "5000.00", "ineligible": "20000.00"}
# Assistance 2,800.00; the patient pays 1,200.00 + 10,000.00 = 11,200.00.
MEDIUM = {"total": "20000.00", "basic": "6000.00", "critical": "0.00", "eligible": "4000.00", "ineligible": "10000.00"}


@pytest.fixture
def feed(med, vdata):
    return med


def _settle(med, person, **amounts):
    return settle_bill(med.hospital, bill(person.id_number, **amounts))


def _medical(household_id):
    return list(Warning.objects.filter(household_id=household_id, cause="medical"))


def test_the_feed_answers_what_each_live_settlement_left_the_patient_to_pay(feed):
    person = feed.person("dibao")
    kept = _settle(feed, person, **LARGE)
    reversed_ = _settle(feed, person, **MEDIUM)
    reverse_settlement(feed.hospital, reversed_["visit_number"], reason="refunded")
    _settle(feed, person, **MEDIUM, admitted="2025-08-01", discharged="2025-08-31")   # before the window
    table = self_paid_rows(COUNTY, dt.date(2025, 9, 1), dt.date(2025, 9, 30))
    assert table.schema == pa.schema([("id_number", pa.string()), ("period_end", pa.date32()),
                                      ("self_paid", pa.decimal128(18, 2))])
    assert table.to_pylist() == [{"id_number": person.id_number, "period_end": dt.date(2025, 9, 18),
                                  "self_paid": Decimal("21500.00")}]
    row = Settlement.objects.get(pk=kept["settlement_id"])
    assert row.eligible_self_paid + row.ineligible_self_paid - row.assistance == Decimal("21500.00")
    assert self_paid_rows(COUNTY, dt.date(2025, 8, 1), dt.date(2025, 9, 30)).num_rows == 2
    assert self_paid_rows("130124", dt.date(2025, 8, 1), dt.date(2025, 9, 30)).num_rows == 0   # another county


def test_a_household_over_the_threshold_from_its_settlements_becomes_a_warning_and_a_lead(feed):
    person = feed.person("dibao")
    _settle(feed, person, **LARGE)
    result = run_warnings(feed.posts.officer, COUNTY, MONTH)
    assert result.found["medical"] == 1 and result.raised == 1
    [warning] = _medical(person.household_id)
    assert warning.detail["total"] == "21500.00" and warning.detail["source"] == FEED
    assert warning.detail["from"] == "2024-10-01" and warning.detail["to"] == "2025-09-30"
    lead = Lead.objects.get(pk=warning.lead_id)
    assert lead.household_id == person.household_id and lead.cause == "medical_costs" and lead.source == "warning"
    assert "settlements of medical assistance" in lead.description and "21500.00" in lead.description

    again = run_warnings(feed.posts.officer, COUNTY, MONTH)
    assert again.raised == 0
    assert len(_medical(person.household_id)) == 1 and Lead.objects.count() == 1


def test_under_the_threshold_or_reversed_nothing_is_raised(feed):
    small = feed.person("dibao")
    _settle(feed, small, **MEDIUM)
    refunded = feed.person("dibao")
    answer = _settle(feed, refunded, **LARGE)
    reverse_settlement(feed.hospital, answer["visit_number"], reason="wrong patient")
    result = run_warnings(feed.posts.officer, COUNTY, MONTH)
    assert result.found["medical"] == 0 and result.raised == 0
    assert not Warning.objects.filter(cause="medical").exists() and not Lead.objects.exists()


def test_department_data_and_settlements_of_the_same_bills_are_not_added(feed, system):
    both = feed.person("dibao")            # 11,200.00 each way: 22,400.00 if added, over the threshold
    _settle(feed, both, **MEDIUM)
    larger = feed.person("dibao")          # the department's total is the larger: it names the warning
    _settle(feed, larger, **MEDIUM)
    import_rows(system, "medical_costs", [
        {"id_number": both.id_number, "self_paid": "11200.00", "period_end": dt.date(2025, 9, 18)},
        {"id_number": larger.id_number, "self_paid": "11200.00", "period_end": dt.date(2025, 9, 18)},
        {"id_number": larger.id_number, "self_paid": "9800.00", "period_end": dt.date(2025, 6, 30)},
    ])
    result = run_warnings(feed.posts.officer, COUNTY, MONTH)
    assert not _medical(both.household_id)
    [warning] = _medical(larger.household_id)
    assert warning.detail["total"] == "21000.00" and warning.detail["source"] == "medical_costs"
    assert "source_label" not in warning.detail
    assert result.raised == 1

    # Settlements taking the same household higher later in the window: the warning is not repeated.
    _settle(feed, larger, **LARGE)
    again = run_warnings(feed.posts.officer, COUNTY, MONTH)
    assert again.raised == 0 and len(_medical(larger.household_id)) == 1


def test_a_household_whose_members_settle_separately_is_totalled_together(feed):
    from safetynet.registry.models import Person
    from tests.cases_helpers import D, new_id

    head = feed.person("dibao")
    spouse = Person.objects.create(household_id=head.household_id, area_id=head.area_id, name="李配偶",
                                   id_number=new_id(D(1962, 3, 3)), sex="female", birth_date=D(1962, 3, 3),
                                   relation_to_head="spouse")
    _settle(feed, head, **MEDIUM)
    _settle(feed, spouse, **MEDIUM)        # household enrolment covers the spouse: 11,200.00 + 11,200.00
    run_warnings(feed.posts.officer, COUNTY, MONTH)
    [warning] = _medical(head.household_id)
    assert warning.detail["total"] == "22400.00" and warning.detail["persons"] == 2 and warning.detail["records"] == 2
