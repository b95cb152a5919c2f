"""Cashiers at once (PostgreSQL; issue 20 part 3): two bills of one person whose assistance
together exceeds the cap take exactly the cap between them (the person's year is locked), and
one visit sent three times at once is settled once, every sender getting the same answer (the
unique index decides)."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.test import Client

from safetynet.medical.models import PersonYear, Settlement
from tests.medical_helpers import bill

URL = "/api/v1/medical/institution/settlements"
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")


@pytest.fixture(autouse=True)
def default_catalogue(transactional_db):
    """A transactional test empties the database after itself, the migrations' seed with it: the
    default categories and terms are put back (and the per-process caches of them forgotten)."""
    from safetynet.core import refcache
    from safetynet.medical import catalogue
    from safetynet.medical.models import CategoryTerms, MedicalCategory

    catalogue.seed(MedicalCategory, CategoryTerms)
    refcache.clear()


def at_once(bodies: list[dict], key: str) -> list:
    """POST each body from its own thread, all released together; the responses in order."""
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)
    errors: list = []

    def send(i: int, body: dict):
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
            barrier.wait()
            answers[i] = client.post(URL, body, content_type="application/json")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i, body)) for i, body in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return answers


@pytest.mark.django_db(transaction=True)
def test_two_bills_at_once_never_take_more_than_the_cap(med):
    for _ in range(20):
        person = med.person("special_hardship")      # 100 %, cap 30,000
        bills = [bill(person.id_number, total="28000.00", basic="6000.00", critical="1000.00", eligible="20000.00",
                      ineligible="1000.00") for _ in range(2)]
        responses = at_once(bills, med.key)
        assert [r.status_code for r in responses] == [200, 200], [r.content for r in responses]
        given = sorted(Decimal(r.json()["assistance"]) for r in responses)
        assert given == [Decimal("10000.00"), Decimal("20000.00")]
        assert [r.json()["capped"] for r in responses].count(True) == 1
        settled = Settlement.objects.filter(person=person)
        year = PersonYear.objects.get(person=person, year=2025)
        assert settled.count() == 2 and settled.aggregate(s=Sum("assistance"))["s"] == Decimal("30000.00")
        assert year.assistance_total == Decimal("30000.00") and year.eligible_total == Decimal("40000.00")
        assert year.settlements == 2


@pytest.mark.django_db(transaction=True)
def test_one_visit_sent_three_times_at_once_is_settled_once(med):
    for _ in range(5):
        person = med.person("dibao")
        body = bill(person.id_number)
        responses = at_once([body] * 3, med.key)
        assert [r.status_code for r in responses] == [200, 200, 200], [r.json() for r in responses]
        assert len({r.content for r in responses}) == 1
        assert Settlement.objects.filter(visit_number=body["visit_number"]).count() == 1
        year = PersonYear.objects.get(person=person, year=2025)
        assert year.assistance_total == Decimal("2800.00") and year.settlements == 1


@pytest.mark.django_db(transaction=True)
def test_two_different_bills_under_one_visit_at_once(med):
    """One is settled, the other refused with visit_conflict; nothing of the loser is kept."""
    first, second = med.person("dibao"), med.person("dibao")
    a = bill(first.id_number)
    b = bill(second.id_number, visit=a["visit_number"])
    responses = at_once([a, b], med.key)
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert [r.json()["code"] for r in responses if r.status_code == 409] == ["visit_conflict"]
    assert Settlement.objects.filter(visit_number=a["visit_number"]).count() == 1
    assert PersonYear.objects.filter(settlements=1).count() == 1
    assert sum(y.assistance_total for y in PersonYear.objects.filter(person__in=[first, second])) == Decimal("2800.00")
