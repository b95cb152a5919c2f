"""Shared fixtures: the real county 正定县 (130123) from the committed extract, and staff posts."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The machines here are shared and noisy: a property test is judged on what it finds, never on how
# fast examples came (a health check on generation speed failed a test under load, 2026-12-06).
settings.register_profile("safetynet", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("safetynet")

# The fixtures of the case, payments and verification tests, for every test module (no module
# imports them): clock, login, standards, posts, poor_household; payroll; vdata; browser, live_site.
pytest_plugins = ("tests.cases_helpers", "tests.payments_helpers", "tests.verification_helpers", "tests.browser",
                  "tests.medical_helpers")

DIVISIONS = Path(__file__).resolve().parent.parent / "safetynet" / "areas" / "data" / "divisions-130123.csv"
COUNTY = "130123"
TOWN = "130123100"          # 正定镇
OTHER_TOWN = "130123102"    # 新城铺镇
PASSWORD = "correct-horse-battery-9"

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def english_messages():
    """Domain errors raised outside a request speak the active language; tests read English.
    (Pages still follow the request: Chinese by default, as users see them.)"""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def county(db):
    """The demo county's network (province, city, county, 10 towns, 187 villages)."""
    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions

    with DIVISIONS.open("rb") as f:
        result = import_divisions(actor=system_actor(), source=f, filename=DIVISIONS.name)
    assert not result.errors
    return Area.objects.get(code=COUNTY)


@pytest.fixture
def village(county):
    from safetynet.areas.models import Area

    return Area.objects.filter(parent_id=TOWN, level="village").order_by("code").first()


@pytest.fixture
def other_village(county):
    from safetynet.areas.models import Area

    return Area.objects.filter(parent_id=OTHER_TOWN, level="village").order_by("code").first()


@pytest.fixture
def make_actor(db):
    """make_actor(role, area_code) -> Actor for a new user holding that post."""
    from django.contrib.auth import get_user_model

    from safetynet.areas.actors import actor_for_post
    from safetynet.areas.models import Post

    def make(role: str, area_code: str, username: str | None = None):
        user = get_user_model().objects.create_user(username or f"{role}{next(_counter)}", password=PASSWORD)
        post = Post.objects.create(user=user, role=role, area_id=area_code)
        return actor_for_post(post)

    return make


@pytest.fixture
def client_for(client, make_actor):
    """client_for(role, area_code) -> a Django test client logged in as a new user with that post."""
    from django.contrib.auth import get_user_model

    def make(role: str, area_code: str):
        actor = make_actor(role, area_code)
        user = get_user_model().objects.get(pk=actor.user_id)
        client.force_login(user)
        client.actor = actor
        return client

    return make


@pytest.fixture
def system():
    from safetynet.areas.actors import system_actor

    return system_actor()


@pytest.fixture
def immediate_jobs(settings, tmp_path):
    """A worker that runs each job as it is queued: the upload's job page then opens on its outcome."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def worker(make_actor, county):
    """A town worker of 正定镇."""
    return make_actor("town_worker", TOWN)


@pytest.fixture
def officer(make_actor, county):
    """The county officer of 正定县."""
    return make_actor("county_officer", county.code)


def force_login(client, actor):
    """The test client logged in as `actor`'s user (pages in the client's language)."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(pk=actor.user_id))
    return client


@pytest.fixture
def login_site_language(client):
    """login(actor) -> the test client, logged out and in again as that post's user, pages in the
    site's own language (tests.cases_helpers' `login` asks for English pages instead)."""
    def as_(actor):
        client.logout()
        return force_login(client, actor)
    return as_


@pytest.fixture
def api(client):
    """api(actor) -> a client logged in as that post (session auth), for the API tests."""
    def as_(actor):
        return force_login(client, actor)
    return as_


def xlsx_file(rows: list[list], merge: str | None = None):
    """An .xlsx workbook (BytesIO) of `rows`, cells `merge` merged (e.g. "A1:B1")."""
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer
