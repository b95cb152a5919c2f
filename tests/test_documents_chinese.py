"""Documents in the Chinese interface cite regulations by name and carry no English (issue 15,
item 10): the verification report (page and the PDF's HTML) and the village's notice board."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from safetynet.programs.legal import internal_codes_in
from tests.cases_helpers import make_poor_household, walk
from tests.verification_helpers import import_other_datasets, import_rows, months_before
from tests.untranslated import english_in_context


@pytest.fixture
def verified(vdata, posts, standards, clock, village):
    """A household whose head's wages and his spouse's car the departments report, verified for its
    dibao case in Chinese."""
    from safetynet.registry.models import Person
    from safetynet.verification.services import verify_household

    with translation.override("zh-hans"):
        household = make_poor_household(posts.worker, village.code)
        head = Person.objects.get(pk=household.head_id)
        spouse = Person.objects.filter(household=household, relation_to_head="spouse").get()
        today = dt.date.today()
        import_rows(posts.officer, "hrss_wages", [
            {"id_number": head.id_number, "employer": "正定县建筑公司", "month": m, "gross_wage": Decimal("1100"),
             "net_wage": Decimal("900")} for m in months_before(today)])
        import_rows(posts.officer, "vehicles", [{"id_number": spouse.id_number, "plate": "冀A9Z123", "vehicle_type": "car",
                                                 "registered_on": dt.date(2020, 5, 1)}])
        import_other_datasets(posts.officer)       # every dataset there: the report is filed on the case
        case = walk(posts, household, clock, to="surveyed")
        report = verify_household(actor=posts.officer, household_id=household.pk, case_id=case.pk)
    return report


@pytest.mark.django_db
def test_the_verification_report_cites_regulations_by_name(client, posts, verified):
    from safetynet.verification.reports import report_html

    client.force_login(get_user_model().objects.get(pk=posts.officer.user_id))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(reverse("verification:report", args=[verified.result.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "《最低生活保障审核确认办法》第十四条" in body      # the car over the vehicle limit
    assert internal_codes_in(body) == []
    assert english_in_context(body) == []
    with translation.override("zh-hans"):
        html = report_html(posts.officer, verified.result)
    assert "《最低生活保障审核确认办法》" in html
    assert internal_codes_in(html) == [] and english_in_context(html) == []


@pytest.mark.django_db
def test_the_verification_pages_with_data_are_chinese(client, posts, verified):
    from safetynet.cases.models import VerificationReport

    case_id = VerificationReport.objects.get(pk=verified.case_report_id).case_id
    client.force_login(get_user_model().objects.get(pk=posts.officer.user_id))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for url in (reverse("verification:data"), reverse("verification:runs"), reverse("verification:run", args=[verified.run.pk]),
                reverse("verification:household", args=[verified.result.household_id]), reverse("verification:proposals"),
                reverse("cases:detail", args=[case_id])):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert english_in_context(response.content.decode()) == [], (url, english_in_context(response.content.decode()))
