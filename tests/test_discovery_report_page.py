"""The grid report page (issue 17 part 1): who may open it, the installable web app's pieces
(service worker, manifest, icons), and the page's words in Chinese."""
from __future__ import annotations

import json

import pytest

from tests.conftest import force_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_worker(make_actor, village):
    return make_actor("grid_worker", village.code)


def test_grid_worker_opens_the_page_in_chinese_without_bootstrap(client, grid_worker, village):
    response = force_login(client, grid_worker).get("/discovery/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "报告" in html and "bootstrap" not in html.lower() and "cdn" not in html.lower()
    assert 'rel="manifest"' in html and village.code in html
    config = json.loads(html.split('id="report-config" type="application/json">')[1].split("</script>")[0])
    assert config["api"] == "/api/v1/discovery/reports" and config["words"]["waiting"] != "Waiting to send"
    assert "csrftoken" in response.cookies


def test_the_menu_offers_it_to_posts_that_may_report(grid_worker, make_actor, county):
    from safetynet.core.menu import menu_for

    assert "discovery:report" in [e["url_name"] for e in menu_for(grid_worker)]
    assert "discovery:report" not in [e["url_name"] for e in menu_for(make_actor("county_leader", county.code))]


def test_a_post_without_discovery_report_gets_403(client, make_actor, county):
    assert force_login(client, make_actor("county_leader", county.code)).get("/discovery/report/").status_code == 403


def test_logged_out_goes_to_login(client, county):
    response = client.get("/discovery/report/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_service_worker_is_javascript_scoped_to_the_page(client, county):
    response = client.get("/discovery/report/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/discovery/report/"
    body = response.content.decode()
    assert '"/discovery/report/"' in body and "importScripts" in body and "/api/" not in body.split("const PAGE")[0]


def test_manifest_makes_it_installable(client, county):
    response = client.get("/discovery/report/manifest.webmanifest")
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["start_url"] == manifest["scope"] == "/discovery/report/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
