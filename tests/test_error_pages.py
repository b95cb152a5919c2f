"""Errors show no internals to the network (issue 14, item 2).

With DEBUG on (the embedded default of `make run`), Django's technical pages (traceback, local
variables, settings, file paths, the URL list) are kept for requests from this machine only;
anyone else gets the site's friendly 500 and 404 pages, and the API a JSON error, DEBUG on or off.
The forced errors are this module's own URLs (it is the URLconf of these tests) and a patched
selector behind a real API operation.
"""
from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.urls import path

import safetynet.urls
from tests.conftest import COUNTY

pytestmark = pytest.mark.urls("tests.test_error_pages")

SECRET = "secret-detail in /work/wt/safetynet/private.py"
NETWORK = "203.0.113.5"


def boom(request):
    raise RuntimeError(SECRET)


def missing(request):
    raise Http404(SECRET)


urlpatterns = [path("test-boom/", boom), path("test-missing/", missing), *safetynet.urls.urlpatterns]


def _client(**defaults) -> Client:
    """A client that answers what the server answered instead of re-raising the view's error."""
    return Client(raise_request_exception=False, **defaults)


def _shows_internals(body: str) -> list[str]:
    words = ("Traceback", "RuntimeError", SECRET, "/work/", "site-packages", "SECRET_KEY", "DEBUG = True",
             "Django tried these URL patterns")
    return [w for w in words if w in body]


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["text/html", "text/plain", "*/*"])
def test_a_500_with_debug_on_shows_no_traceback_to_the_network(settings, accept):
    settings.DEBUG = True
    response = _client(REMOTE_ADDR=NETWORK).get("/test-boom/", HTTP_ACCEPT=accept, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 500
    assert _shows_internals(body) == [], body[:500]
    assert "Server error" in body


@pytest.mark.django_db
def test_a_500_page_speaks_chinese_by_default(settings):
    settings.DEBUG = True
    body = _client(REMOTE_ADDR=NETWORK).get("/test-boom/", HTTP_ACCEPT="text/html").content.decode()
    assert "服务器错误" in body and not _shows_internals(body)


@pytest.mark.django_db
def test_the_debug_page_stays_for_this_machine_only(settings):
    settings.DEBUG = True
    for address in ("127.0.0.1", "::1"):
        local = _client(REMOTE_ADDR=address).get("/test-boom/", HTTP_ACCEPT="text/html")
        assert local.status_code == 500 and "Traceback" in local.content.decode(), address
    # A proxy on this machine connects from 127.0.0.1 on behalf of anyone: not local.
    relayed = _client(REMOTE_ADDR="127.0.0.1").get("/test-boom/", HTTP_ACCEPT="text/html", HTTP_X_FORWARDED_FOR=NETWORK)
    assert relayed.status_code == 500 and not _shows_internals(relayed.content.decode())


@pytest.mark.django_db
def test_a_404_with_debug_on_is_the_friendly_page_for_the_network(settings):
    settings.DEBUG = True
    client = _client(REMOTE_ADDR=NETWORK)
    for url in ("/test-missing/", "/no-such-page/"):      # raised by a view; no URL pattern at all
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        body = response.content.decode()
        assert response.status_code == 404 and 'data-testid="not-found"' in body and not _shows_internals(body), url
    assert client.get("/login").status_code == 301            # APPEND_SLASH still redirects
    local = _client().get("/no-such-page/")                    # this machine: DEBUG's page
    assert local.status_code == 404 and "Django tried these URL patterns" in local.content.decode()


@pytest.mark.django_db
def test_with_debug_off_errors_are_the_sites_pages(settings):
    settings.DEBUG = False
    client = _client(REMOTE_ADDR=NETWORK)
    server = client.get("/test-boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert server.status_code == 500 and 'data-testid="server-error"' in server.content.decode()
    assert not _shows_internals(server.content.decode())
    for url in ("/test-missing/", "/no-such-page/"):
        missing = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert missing.status_code == 404 and 'data-testid="not-found"' in missing.content.decode(), url
        assert not _shows_internals(missing.content.decode())


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("address", [NETWORK, "127.0.0.1"])
def test_the_api_answers_json_without_traceback(client_for, county, settings, monkeypatch, debug, address):
    from safetynet.payroll import selectors

    def broken(actor):
        raise RuntimeError(SECRET)

    settings.DEBUG = debug
    monkeypatch.setattr(selectors, "runs_in_scope", broken)
    client = client_for("county_officer", COUNTY)
    client.raise_request_exception = False
    response = client.get("/api/v1/payments/runs", REMOTE_ADDR=address)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "server_error"
    assert _shows_internals(response.content.decode()) == []


def test_the_api_leaves_djangos_own_answers_to_django(client_for, county, settings, monkeypatch):
    """A Django PermissionDenied inside an operation stays a 403 (ninja's DEBUG handler made it a
    500 with the traceback)."""
    from django.core.exceptions import PermissionDenied

    from safetynet.payroll import selectors

    def refused(actor):
        raise PermissionDenied("no")

    settings.DEBUG = True
    monkeypatch.setattr(selectors, "runs_in_scope", refused)
    client = client_for("county_officer", COUNTY)
    client.raise_request_exception = False
    response = client.get("/api/v1/payments/runs", REMOTE_ADDR=NETWORK)
    assert response.status_code == 403 and not _shows_internals(response.content.decode())
