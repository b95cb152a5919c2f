"""Login: Argon2 hashes, throttling of repeated failures, and switching between one's posts."""
from django.contrib.auth import get_user_model

from safetynet.areas.models import Post
from tests.conftest import OTHER_TOWN, PASSWORD, TOWN


def test_passwords_are_hashed_with_argon2(make_actor, county):
    actor = make_actor("town_worker", TOWN)
    assert get_user_model().objects.get(pk=actor.user_id).password.startswith("argon2")


def test_login_and_landing_page(client, make_actor, county):
    make_actor("town_worker", TOWN, username="clerk")
    response = client.post("/login/", {"username": "clerk", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "正定镇" in page and 'data-testid="count-households"' in page


def test_repeated_failures_lock_the_account_out(client, make_actor, county):
    make_actor("town_worker", TOWN, username="clerk")
    for _ in range(5):
        response = client.post("/login/", {"username": "clerk", "password": "wrong-password"})
    assert response.status_code == 429
    # Even the right password is refused while locked out.
    response = client.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 429


def test_switching_posts_changes_scope(client, make_actor, county):
    actor = make_actor("town_worker", TOWN, username="twoposts")
    user = get_user_model().objects.get(pk=actor.user_id)
    second = Post.objects.create(user=user, role="town_worker", area_id=OTHER_TOWN)
    client.force_login(user)
    assert "正定镇" in client.get("/").content.decode()
    client.post("/switch-post/", {"post": second.pk, "next": "/"})
    page = client.get("/").content.decode()
    assert "新城铺镇" in page


def test_cannot_switch_to_someone_elses_post(client, make_actor, county):
    mine = make_actor("town_worker", TOWN, username="me")
    theirs = make_actor("county_officer", county.code, username="boss")
    client.force_login(get_user_model().objects.get(pk=mine.user_id))
    client.post("/switch-post/", {"post": theirs.post_id, "next": "/"})
    assert client.session.get("safetynet_post_id") is None


def test_user_without_post_sees_no_data(client, db):
    user = get_user_model().objects.create_user("nopost", password=PASSWORD)
    client.force_login(user)
    assert client.get("/").status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")
