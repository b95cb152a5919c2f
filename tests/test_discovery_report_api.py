"""The grid report over HTTP (issue 17 parts 1 and 6): idempotent per key, a photo refused never
loses the report, the household list to choose from, session (with CSRF) and bearer token."""
from __future__ import annotations

import io
import uuid

import pytest

from safetynet.discovery.models import GridReport, Lead
from tests.conftest import TOWN
from tests.registry_helpers import make_household

pytestmark = pytest.mark.django_db
URL = "/api/v1/discovery/reports"


@pytest.fixture(autouse=True)
def english_answers(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def grid_worker(make_actor, village):
    return make_actor("grid_worker", village.code)


@pytest.fixture
def household(worker, village):
    return make_household(worker, village.code, address="正定镇一村 3 号")


def _jpeg(size=(64, 48), quality=80, noise=False) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, (120, 80, 40))
    if noise:
        import random

        rnd = random.Random(1)
        image.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(size[0] * size[1])])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _photo(content: bytes, name="photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def _new_person(village, **extra):
    return {"key": str(uuid.uuid4()), "cause": "illness", "urgency": "urgent", "name": "张大山", "approximate_age": "67",
            "address": "村东头老槐树旁", "area": village.code, "note": "一个人住，腿摔伤了", **extra}


def test_report_about_a_household_answers_201_with_its_lead(api, grid_worker, household):
    key = str(uuid.uuid4())
    response = api(grid_worker).post(URL, {"key": key, "cause": "job_loss", "household": household.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    lead = Lead.objects.get()
    assert body["key"] == key and body["created"] is True and body["source"] == "grid_report"
    assert body["lead"] == {"id": lead.pk, "number": lead.number, "status": "new", "status_label": "waiting to be acknowledged",
                            "joined": False}
    assert body["photo_refused"] == "" and body["photo_kept"] is False and body["area"] == household.area_id


def test_same_key_twice_makes_one_lead_and_answers_200_with_the_same_report(api, grid_worker, village):
    client = api(grid_worker)
    form = _new_person(village)
    first = client.post(URL, form)
    second = client.post(URL, form)
    assert (first.status_code, second.status_code) == (201, 200)
    one, two = first.json(), second.json()
    assert one.pop("created") is True and two.pop("created") is False
    assert one == two
    assert Lead.objects.count() == 1 and GridReport.objects.count() == 1


def test_second_report_of_a_household_joins_its_lead_and_a_retry_says_so(api, grid_worker, household):
    client = api(grid_worker)
    client.post(URL, {"key": str(uuid.uuid4()), "cause": "illness", "household": household.pk})
    key = str(uuid.uuid4())
    joined = client.post(URL, {"key": key, "cause": "accident", "household": household.pk}).json()
    again = client.post(URL, {"key": key, "cause": "accident", "household": household.pk}).json()
    assert joined["lead"]["joined"] is True and again["lead"]["joined"] is True
    assert Lead.objects.count() == 1 and Lead.objects.get().causes == ["illness", "accident"]


def test_photo_kept_privately(api, grid_worker, village):
    response = api(grid_worker).post(URL, {**_new_person(village), "photo": _photo(_jpeg())})
    assert response.status_code == 201 and response.json()["photo_kept"] is True
    report = GridReport.objects.get()
    assert report.photo.startswith("discovery/") and report.photo_type == "image/jpeg"


def test_photo_that_is_not_an_image_is_refused_and_the_report_kept(api, grid_worker, village):
    response = api(grid_worker).post(URL, {**_new_person(village), "photo": _photo(b"MZ\x90\x00 not a picture", "x.jpg")})
    assert response.status_code == 201
    body = response.json()
    assert "not an image" in body["photo_refused"] and body["photo_kept"] is False
    report = GridReport.objects.get()
    assert report.note == "一个人住,腿摔伤了" and report.photo == "" and "not an image" in report.photo_refused
    assert Lead.objects.count() == 1


def test_photo_too_large_is_refused_by_the_photo_limit_and_the_report_kept(api, grid_worker, village, settings):
    settings.DISCOVERY_PHOTO_MAX_BYTES = 20_000
    big = _jpeg((300, 300), quality=95, noise=True)
    assert len(big) > 20_000
    response = api(grid_worker).post(URL, {**_new_person(village), "photo": _photo(big)})
    assert response.status_code == 201
    assert "too large" in response.json()["photo_refused"]
    assert GridReport.objects.get().photo == "" and Lead.objects.count() == 1


def test_a_photo_larger_than_the_form_limit_passes_the_middleware(api, grid_worker, village, settings):
    """Files do not count against DATA_UPLOAD_MAX_MEMORY_SIZE (RequestTooLargeMiddleware): the
    photo reaches check_photo and is kept."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000          # and streamed to a temporary file
    photo = _jpeg((200, 200), quality=95, noise=True)
    assert len(photo) > 10_000
    response = api(grid_worker).post(URL, {**_new_person(village), "photo": _photo(photo)})
    assert response.status_code == 201, response.content
    assert response.json()["photo_kept"] is True and GridReport.objects.get().photo_bytes == len(photo)


def test_grid_worker_of_another_village_gets_404_for_a_household_outside(api, make_actor, other_village, household):
    outsider = make_actor("grid_worker", other_village.code)
    response = api(outsider).post(URL, {"key": str(uuid.uuid4()), "cause": "illness", "household": household.pk})
    assert response.status_code == 404                 # as if the household did not exist
    response = api(outsider).post(URL, _new_person(household.area))
    assert response.status_code == 404 and response.json()["field"] == "area"
    assert not Lead.objects.exists() and not GridReport.objects.exists()


def test_a_post_without_discovery_report_gets_403(api, make_actor, county, household):
    leader = make_actor("county_leader", county.code)       # the town leader holds discovery.report; this one does not
    assert not leader.can("discovery.report")
    response = api(leader).post(URL, {"key": str(uuid.uuid4()), "cause": "illness", "household": household.pk})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert api(leader).get("/api/v1/discovery/my-households").status_code == 403
    assert not Lead.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"nickname": "x"}, "nickname"),
    ({"key": "not-a-uuid"}, "key"),
    ({"cause": "medical_costs"}, "cause"),            # a warning's cause, not one a phone reports
    ({"urgency": "asap"}, "urgency"),
    ({"approximate_age": "130"}, "approximate_age"),
    ({"latitude": "91"}, "latitude"),
    ({"latitude": "38.1"}, "latitude"),                # without longitude
    ({"name": ""}, "name"),
    ({"address": ""}, "address"),
    ({"area": TOWN}, "area"),                          # a whole town is not where someone lives
])
def test_bad_input_names_the_field(api, grid_worker, village, change, field):
    response = api(grid_worker).post(URL, {**_new_person(village), **change})
    assert response.status_code in (404, 422), response.json()
    assert response.json()["field"] == field, response.json()
    assert not GridReport.objects.exists()


def test_an_unknown_file_is_refused(api, grid_worker, village):
    response = api(grid_worker).post(URL, {**_new_person(village), "picture": _photo(_jpeg())})
    assert response.status_code == 422 and response.json()["field"] == "picture"


def test_session_call_needs_csrf(grid_worker, village):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(pk=grid_worker.user_id))
    assert client.post(URL, _new_person(village)).status_code == 403
    client.get("/discovery/report/")                   # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(URL, _new_person(village), headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.content


def test_hotline_files_a_report_with_a_bearer_token(client, make_actor, village):
    from safetynet.areas.tokens import issue_api_token

    hotline = make_actor("town_worker", TOWN, username="hotline_12345")
    _, secret = issue_api_token(actor=hotline, username="hotline_12345")
    form = _new_person(village)
    response = client.post(URL, form, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "hotline"
    again = client.post(URL, form, headers={"Authorization": f"Bearer {secret}"})
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    lead = Lead.objects.get()
    assert lead.source == "hotline" and GridReport.objects.get().source == "hotline"


def test_my_households_are_the_posts_own_with_names_masked(api, grid_worker, household, other_village):
    make_household(_town_worker_of(other_village), other_village.code, address="外村 9 号")
    body = api(grid_worker).get("/api/v1/discovery/my-households").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == household.pk and item["address"] == "正定镇一村 3 号" and item["members"] == 1
    assert item["head_name"].endswith("*") and item["head_name"] != household.head.name
    assert api(grid_worker).get("/api/v1/discovery/my-households", {"q": household.head.name}).json()["count"] == 1
    assert api(grid_worker).get("/api/v1/discovery/my-households", {"q": "没有这人"}).json()["count"] == 0
    assert api(grid_worker).get("/api/v1/discovery/my-households", {"limit": "0"}).status_code == 422


def _town_worker_of(area):
    from django.contrib.auth import get_user_model

    from safetynet.areas.actors import actor_for_post
    from safetynet.areas.models import Post

    user = get_user_model().objects.create_user(f"tw{area.code}", password="x-long-password-1")
    return actor_for_post(Post.objects.create(user=user, role="town_worker", area_id=area.code[:9]))


def test_blank_optional_numbers_are_not_given_and_a_text_photo_is_refused(api, grid_worker, village):
    client = api(grid_worker)
    form = _new_person(village, approximate_age="", latitude="", longitude="", written_at="")
    response = client.post(URL, form)
    assert response.status_code == 201, response.json()
    response = client.post(URL, _new_person(village, photo="null"))
    assert response.status_code == 422 and response.json()["field"] == "photo"
