"""Denial across the whole surface: every page needs a login, every API operation a credential,
and a post without the permission or outside the area is refused (403 / 404)."""
import os
import re
import subprocess
import sys

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC_PREFIXES = ("login/", "logout/", "healthz", "i18n/", "check/", "notices/", "complaints/", "projects/propose/",
                   "projects/follow/", "api/v1/", "static/",
                   "media/")
# Static files served by a view only so that their scope is the page's folder (the grid report's
# service worker and web app manifest: code and the app's name, no data); a browser fetches them
# without asking, the manifest without cookies.
PUBLIC_FILES = ("discovery/report/sw.js", "discovery/report/manifest.webmanifest")


def _patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _sample_path(route: str) -> str:
    path = re.sub(r"<int:[^>]+>", "1", route)
    path = re.sub(r"<(?:str:|slug:)?[^>]+>", "x", path)
    return "/" + path.lstrip("^").rstrip("$")


STAFF_PAGES = sorted({_sample_path(r) for r, _ in _patterns()
                      if not r.startswith(PUBLIC_PREFIXES) and r not in PUBLIC_FILES and "(?P" not in r})


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_every_staff_page_needs_a_login(client, db, path):
    response = client.get(path)
    assert response.status_code in (302, 401, 403, 404, 405), (path, response.status_code)
    if response.status_code == 302:
        assert "/login/" in response.url, (path, response.url)


def test_every_api_operation_needs_a_credential(client, db):
    document = client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, operations in document["paths"].items():
        if path.startswith("/api/v1/public/"):
            continue
        sample = re.sub(r"\{[^}]+\}", "1", path)
        for method in operations:
            response = client.generic(method.upper(), sample, "{}", content_type="application/json")
            assert response.status_code == 401, (method, path, response.status_code)
            checked += 1
    assert checked >= 10


def test_post_without_permission_is_refused_on_writes(client_for, county):
    """A grid worker may read households but not write them: 403 on every registry write."""
    client = client_for("grid_worker", "130123100")
    assert client.post("/api/v1/households", {"area": "130123100", "address": "x", "registration_type": "rural"},
                       content_type="application/json").status_code == 403
    assert client.post("/api/v1/areas", {"parent": "130123100201"}, content_type="application/json").status_code in (403, 404, 422)


def test_production_refuses_the_default_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DEBUG="false", SAFETYNET_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="safetynet.settings")
    result = subprocess.run([sys.executable, "-m", "safetynet.cli", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    env["SECRET_KEY"] = "a-real-secret-for-this-test-0123456789"
    result = subprocess.run([sys.executable, "-m", "safetynet.cli", "check", "--deploy", "--fail-level", "CRITICAL"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
