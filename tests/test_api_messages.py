"""The API's validation errors speak the request's language (issue 14 item 10): pydantic's own
messages are English only, so each error type a client meets is answered in our words."""
import re

import pytest

from tests.test_api_bodies import SON_ID, household, worker_client  # noqa: F401 (fixtures)

ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")
ALLOWED = {"true", "false", "JSON", "UUID", "YYYY", "head", "spouse", "child", "parent"}


def _errors(client, household, body: dict, language: str) -> list[dict]:
    response = client.patch(f"/api/v1/households/{household.pk}", body, content_type="application/json",
                            headers={"Accept-Language": language}) if "address" in body else \
        client.post("/api/v1/persons", body, content_type="application/json", headers={"Accept-Language": language})
    assert response.status_code == 422, response.content
    return response.json()["errors"]


BAD_BODIES = [
    ({"household": "abc", "name": "张二", "id_number": SON_ID, "relation_to_head": "child"}, "household",
     "请填写整数。", "Give a whole number."),
    ({"household": 1, "name": "", "id_number": SON_ID, "relation_to_head": "child"}, "name",
     "至少 1 个字符。", "At least 1 characters."),
    ({"household": 1, "name": "张" * 60, "id_number": SON_ID, "relation_to_head": "child"}, "name",
     "最多 50 个字符。", "At most 50 characters."),
    ({"household": 1, "id_number": SON_ID, "relation_to_head": "child"}, "name",
     None, None),
    ({"household": 1, "name": "张二", "id_number": SON_ID, "relation_to_head": "child", "serious_illness": "maybe"},
     "serious_illness", "请填写 true 或 false。", "Give true or false."),
    ({"household": 1, "name": "张二", "id_number": SON_ID, "relation_to_head": "child", "disability_grade": 9},
     "disability_grade", "须不大于 4。", "Must be at most 4."),
]


@pytest.mark.parametrize("body, field, chinese, english", BAD_BODIES)
def test_a_validation_error_is_answered_in_the_request_language(worker_client, household, body, field, chinese, english):
    zh = {e["field"]: e["message"] for e in _errors(worker_client, household, body, "zh-hans")}
    assert field in zh, zh
    if chinese:
        assert zh[field] == chinese
    assert not set(ENGLISH_WORD.findall(zh[field])) - ALLOWED, zh[field]
    en = {e["field"]: e["message"] for e in _errors(worker_client, household, body, "en")}
    if english:
        assert en[field] == english


def test_a_parameter_given_twice_is_refused_in_chinese(worker_client):
    response = worker_client.get("/api/v1/households?q=a&q=b", headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "此参数只能给出一次。"
