def test_home_renders_for_a_town_worker(client_for, county):
    from tests.conftest import TOWN

    client = client_for("town_worker", TOWN)
    response = client.get("/")
    assert response.status_code == 200
    assert "正定镇" in response.content.decode()


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
