"""API authentication: bearer tokens from `safetynet token create`, sessions, and JSON errors."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from safetynet.areas.models import ApiToken


def _create_token(username: str) -> str:
    out = io.StringIO()
    call_command("token", "create", username, stdout=out)
    return out.getvalue().split()[-1]


def test_token_is_the_last_word_and_stored_hashed(make_actor, county):
    actor = make_actor("county_officer", county.code, username="officer")
    token = _create_token("officer")
    assert token.startswith("sn_")
    row = ApiToken.objects.get(user_id=actor.user_id)
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64


def test_bearer_token_authenticates(client, make_actor, county):
    make_actor("county_officer", county.code, username="officer")
    token = _create_token("officer")
    response = client.get("/api/v1/areas", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_bad_or_missing_token_is_401_json(client, county):
    response = client.get("/api/v1/areas", headers={"Authorization": "Bearer sn_nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert client.get("/api/v1/households").status_code == 401


def test_revoked_token_stops_working(client, make_actor, county):
    make_actor("county_officer", county.code, username="officer")
    token = _create_token("officer")
    call_command("token", "revoke", token[:10], stdout=io.StringIO())
    assert client.get("/api/v1/areas", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_for_unknown_user_fails_clearly(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named ghost"):
        call_command("token", "create", "ghost", stdout=io.StringIO())


def test_superuser_has_national_scope(client, county):
    get_user_model().objects.create_superuser("root", password="a-long-root-password-1")
    token = _create_token("root")
    response = client.get("/api/v1/areas", {"level": "province"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [a["code"] for a in response.json()["items"]] == ["13"]


def test_session_auth_needs_csrf_for_writes(client_for, county):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    user_client = client_for("town_worker", "130123100")
    browser.cookies = user_client.cookies
    response = browser.post("/api/v1/households", {"area": "130123100", "address": "x", "registration_type": "rural"},
                            content_type="application/json")
    assert response.status_code in (401, 403)


def test_openapi_document_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/areas" in paths and "/api/v1/households" in paths and "/api/v1/persons" in paths


def test_a_query_parameter_given_twice_is_refused(client, county, make_actor):
    """`?q=a&q=b` is not read as a search for "b": 422 naming the parameter."""
    from django.contrib.auth import get_user_model

    actor = make_actor("town_worker", "130123100", username="twice")
    client.force_login(get_user_model().objects.get(pk=actor.user_id))
    response = client.get("/api/v1/areas", {"q": ["正定", "镇"]})
    assert response.status_code == 422 and response.json()["field"] == "q"
    assert client.get("/api/v1/areas", {"q": "正定"}).status_code == 200
