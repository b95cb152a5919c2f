"""The medical assistance formula (POLICY.md §4) for each default category, the yearly deductible
and cap, the most favorable of several categories; the terms in force and who qualifies."""
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safetynet.medical import catalogue
from safetynet.medical.rules import Terms, assess_bill, most_favorable

D = Decimal
INCOME = D("41314.00")   # the catalogue's default per-capita disposable income


def default_terms(code: str) -> Terms:
    rate, deductible, ratio, cap, _source = catalogue.TERMS[code]
    if deductible is None:
        deductible = (ratio * INCOME).quantize(D("0.01"))
    return Terms(code, rate, deductible, cap, catalogue.CATEGORIES[code][0])


@pytest.mark.parametrize("code, eligible, expected", [
    (catalogue.SPECIAL_HARDSHIP, "4000.00", "4000.00"),        # no deductible, 100 %
    (catalogue.DIBAO, "4000.00", "2800.00"),                   # no deductible, 70 %
    (catalogue.RETURNED_TO_POVERTY, "10000.00", "3521.16"),    # (10000 − 4131.40) × 60 %
    (catalogue.MARGIN, "10000.00", "3521.16"),
    (catalogue.AT_RISK, "10000.00", "3521.16"),
    (catalogue.ILLNESS, "20000.00", "5802.90"),                # (20000 − 10328.50) × 60 %
    (catalogue.MARGIN, "3000.00", "0.00"),                     # all under the deductible
])
def test_each_default_category(code, eligible, expected):
    a = assess_bill(D(eligible), default_terms(code))
    assert a.assistance == D(expected)
    assert a.remaining_cap == a.cap - a.assistance


def test_the_deductible_is_yearly():
    terms = default_terms(catalogue.MARGIN)   # deductible 4,131.40
    first = assess_bill(D("3000.00"), terms)
    assert first.assistance == 0 and first.deductible_applied == D("3000.00")
    second = assess_bill(D("3000.00"), terms, eligible_before=D("3000.00"))
    assert second.deductible_applied == D("1131.40")
    assert second.assistance == D("1121.16")   # 1868.60 × 60 %


def test_the_cap_limits_and_says_so():
    terms = default_terms(catalogue.MARGIN)   # cap 10,000
    a = assess_bill(D("50000.00"), terms, eligible_before=D("5000.00"), paid_before=D("8000.00"))
    assert a.computed == D("30000.00") and a.assistance == D("2000.00")
    assert a.capped and a.remaining_cap == 0
    spent = assess_bill(D("1000.00"), terms, eligible_before=D("60000"), paid_before=D("10000.00"))
    assert spent.assistance == 0 and spent.capped


def test_rounding_half_up_to_the_cent():
    a = assess_bill(D("0.05"), Terms("x", D("0.7"), D("0"), D("100")))
    assert a.computed == D("0.04")     # 0.035 → 0.04
    assert a.as_dict()["rounding"] == "half_up_to_cent"


def test_most_favorable_of_several():
    dibao, margin = default_terms(catalogue.DIBAO), default_terms(catalogue.MARGIN)
    best, every = most_favorable(D("10000.00"), [margin, dibao])
    assert best.category_code == catalogue.DIBAO and best.assistance == D("7000.00")
    assert len(every) == 2
    # Dibao's cap spent, the margin's is higher than what was paid? No: the margin's cap is lower,
    # so a person with 29,000 paid gets dibao's last 1,000.
    best, _ = most_favorable(D("10000.00"), [margin, dibao], paid_before=D("29000.00"))
    assert best.category_code == catalogue.DIBAO and best.assistance == D("1000.00")


@given(eligible=st.decimals(min_value=0, max_value=1_000_000, places=2),
       before=st.decimals(min_value=0, max_value=100_000, places=2),
       paid=st.decimals(min_value=0, max_value=40_000, places=2),
       code=st.sampled_from(list(catalogue.TERMS)))
def test_never_more_than_the_bill_or_the_cap(eligible, before, paid, code):
    a = assess_bill(eligible, default_terms(code), eligible_before=before, paid_before=paid)
    assert D("0") <= a.assistance <= eligible
    assert a.assistance + min(paid, a.cap) <= a.cap or a.assistance == 0
    assert a.assistance == a.assistance.quantize(D("0.01"))


def test_terms_in_force_by_area_and_year(county, village, system):
    from safetynet.medical.models import CategoryTerms
    from safetynet.medical.terms import terms_for

    national = terms_for(village.code, 2025, [catalogue.MARGIN, catalogue.DIBAO])
    assert national[catalogue.MARGIN].deductible == D("4131.40")
    assert national[catalogue.DIBAO].rate == D("0.7000")
    CategoryTerms.objects.create(category_code=catalogue.DIBAO, area=county, from_year=2025, rate=D("0.8"),
                                 deductible=D("0"), annual_cap=D("40000"))
    CategoryTerms.objects.create(category_code=catalogue.DIBAO, area=county, from_year=2027, rate=D("0.9"),
                                 deductible=D("0"), annual_cap=D("40000"))
    assert terms_for(village.code, 2025, [catalogue.DIBAO])[catalogue.DIBAO].rate == D("0.8")
    assert terms_for(village.code, 2024, [catalogue.DIBAO])[catalogue.DIBAO].rate == D("0.7")
    assert terms_for(village.code, 2027, [catalogue.DIBAO])[catalogue.DIBAO].rate == D("0.9")


def test_who_qualifies(med, clock):
    from safetynet.discovery.warning_models import MonitoredHousehold
    from safetynet.medical.models import Certification
    from safetynet.medical.qualification import PersonRef, qualifications

    dibao = med.person("dibao")
    hardship = med.person("special_hardship")
    nobody = med.person(None)
    margin = med.person(None)
    MonitoredHousehold.objects.create(household_id=margin.household_id, area_id=margin.area_id, category="margin",
                                      since=dt.date(2025, 1, 1), source="verification")
    certified = med.person(None)
    Certification.objects.create(person=certified, category_code=catalogue.RETURNED_TO_POVERTY, area_id=certified.area_id,
                                 valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2025, 12, 31), reason="乡村振兴局认定",
                                 certified_by="test")
    expired = med.person(None)
    Certification.objects.create(person=expired, category_code=catalogue.RETURNED_TO_POVERTY, area_id=expired.area_id,
                                 valid_from=dt.date(2024, 1, 1), valid_until=dt.date(2024, 12, 31), reason="x", certified_by="test")
    refs = [PersonRef(p.pk, p.household_id, p.area_id) for p in (dibao, hardship, nobody, margin, certified, expired)]
    found = qualifications(refs, dt.date(2025, 9, 22))
    assert set(found[dibao.pk]) == {catalogue.DIBAO}
    assert set(found[hardship.pk]) == {catalogue.SPECIAL_HARDSHIP}
    assert found[nobody.pk] == {} and found[expired.pk] == {}
    assert set(found[margin.pk]) == {catalogue.MARGIN}
    assert found[certified.pk][catalogue.RETURNED_TO_POVERTY]["basis"] == "certification"
