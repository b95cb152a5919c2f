"""What docs/deployment.md says about HTTPS (issue 14, item 15): with DEBUG off the session and
CSRF cookies are Secure, so a browser on plain HTTP does not keep them, and its login is refused
with 403 (CSRF cookie not set); over HTTPS the same login works.

The production settings are the real settings module run with DEBUG=false. Django's test client
keeps every cookie, Secure or not; a browser on an http:// page (other than localhost) drops a
Secure one, so the plain-HTTP login below sends none, as the browser would.
"""
from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from django.test import Client

import safetynet

from tests.conftest import PASSWORD


@pytest.fixture
def production(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test-0123456789")
    monkeypatch.setenv("SAFETYNET_DATA_DIR", str(tmp_path))
    values = runpy.run_path(str(Path(safetynet.__file__).parent / "settings.py"))
    assert values["DEBUG"] is False
    settings.DEBUG = False
    for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY"):
        setattr(settings, name, values[name])
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return values


def _form_token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def test_cookies_are_secure_with_debug_off(production):
    assert production["SESSION_COOKIE_SECURE"] is True and production["CSRF_COOKIE_SECURE"] is True


@pytest.mark.django_db
def test_a_login_over_plain_http_is_refused_with_403(production, django_user_model):
    django_user_model.objects.create_user("clerk", password=PASSWORD)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login/")
    assert page.status_code == 200 and page.cookies["csrftoken"]["secure"]
    token = _form_token(page)
    browser.cookies.pop("csrftoken")           # a browser on http:// does not keep a Secure cookie
    response = browser.post("/login/", {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 403
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_the_same_login_over_https_works(production, django_user_model):
    django_user_model.objects.create_user("clerk", password=PASSWORD)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login/", secure=True)
    response = browser.post("/login/", {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": _form_token(page)},
                            secure=True, HTTP_REFERER="https://testserver/login/")
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] and response.cookies["sessionid"]["httponly"]


@pytest.mark.django_db
def test_behind_a_proxy_that_ends_tls_the_https_origin_must_be_trusted(production, django_user_model, settings):
    """The proxy speaks plain HTTP to the app; the browser's Origin is https://: refused (403,
    "Origin checking failed") until CSRF_TRUSTED_ORIGINS names it."""
    django_user_model.objects.create_user("clerk", password=PASSWORD)

    def login_through_the_proxy():
        browser = Client(enforce_csrf_checks=True)   # a new one: the CSRF middleware reads the setting once
        form = {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": _form_token(browser.get("/login/"))}
        return browser.post("/login/", form, HTTP_ORIGIN="https://testserver").status_code

    assert login_through_the_proxy() == 403
    settings.CSRF_TRUSTED_ORIGINS = ["https://testserver"]
    assert login_through_the_proxy() == 302
