"""The server errors the API fuzz (test_api_fuzz.py) found, each kept as a test of its own: the
request that answered 500 now answers what it should."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model



@pytest.fixture
def officer(payroll, client):
    client.force_login(get_user_model().objects.get(pk=payroll.posts.officer.user_id))
    return client


def test_a_month_of_the_year_zero_is_refused_not_a_server_error(officer, payroll):
    response = officer.post(f"/api/v1/changes/enrollments/{payroll.base.pk}/work-refusals",
                            {"from_month": "0000-01", "to_month": "0000-01", "person": payroll.base.household.head_id,
                             "refusals": 1, "reason": "拒绝推荐工作"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "from_month"
