"""The institution-facing settlement API against its own OpenAPI document (issue 20 part 3):
schemathesis generates requests for every `/api/v1/medical/institution/` operation, the
schema's own (positive) and ones it forbids (negative), sent WITH a live institution key (a
staff login gets 401 there, which would prove nothing), in a county where the document's example
bill names a registered dibao recipient and the paths name a settled visit. No answer may be a
5xx, and every answer must be a documented status with a body of its documented schema.

Bounded like tests/test_api_fuzz.py (derandomized; `SAFETYNET_FUZZ_EXAMPLES=50` and
`SAFETYNET_FUZZ_RANDOM=1` fuzz harder by hand)."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                                status_code_conformance)

from safetynet.medical.settlement_api import EXAMPLE
from safetynet.wsgi import application

PREFIX = "/api/v1/medical/institution/"
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
EXAMPLES = {GenerationMode.POSITIVE: int(os.environ.get("SAFETYNET_FUZZ_EXAMPLES", "25")),
            GenerationMode.NEGATIVE: int(os.environ.get("SAFETYNET_FUZZ_EXAMPLES", "25"))}
RANDOM = os.environ.get("SAFETYNET_FUZZ_RANDOM") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Schemathesis calls the WSGI app directly: keep the test's connection (and transaction)
    as Django's test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(med):
    """The example's patient, a dibao recipient of the county, and a settled visit of the
    hospital for the paths."""
    from safetynet.medical import settlements
    from safetynet.registry.models import Person

    person = med.person("dibao")
    Person.objects.filter(pk=person.pk).update(id_number=EXAMPLE["id_number"])
    med.settled = settlements.settle_bill(med.hospital, {**EXAMPLE, "visit_number": "ZY-SETTLED-1"})
    return med


def institution_operations():
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if op.path.startswith(PREFIX)]


def _fuzz(operation, mode: GenerationMode, key: str, answers: set) -> None:
    path = {"visit_number": "ZY-SETTLED-1"} if "{visit_number}" in operation.path else {}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path)

    @given(case=strategy)
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=not RANDOM,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def requests(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
        response = case.call()
        answers.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    requests()


@pytest.mark.django_db
def test_the_institution_api_answers_as_documented_to_anything(world):
    operations = institution_operations()
    labels = {op.label for op in operations}
    assert {"POST /api/v1/medical/institution/settlements",
            "GET /api/v1/medical/institution/settlements/{visit_number}",
            "POST /api/v1/medical/institution/settlements/{visit_number}/reversal"} <= labels, labels
    failures, answers = [], {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, world.key, answers.setdefault(operation.label, set()))
            except (Exception, BaseExceptionGroup) as error:   # every operation runs; all failures reported together
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
    # The key was taken everywhere, and the handlers were reached (refusals of their own, answers).
    assert [label for label, statuses in answers.items() if 401 in statuses] == []
    for label in ("GET /api/v1/medical/institution/settlements/{visit_number}",
                  "POST /api/v1/medical/institution/settlements/{visit_number}/reversal"):
        assert 200 in answers[label], (label, answers[label])
    assert {422} <= answers["POST /api/v1/medical/institution/settlements"]


@pytest.mark.django_db
def test_the_documented_example_is_settled_as_documented(world):
    """The example bill of the document, sent as is: a 200 whose body is the documented one."""
    operation = schema.find_operation_by_label("POST /api/v1/medical/institution/settlements")
    case = operation.Case(body={**EXAMPLE}, headers={"Authorization": f"Bearer {world.key}"})
    response = case.call()
    assert response.status_code == 200, response.text
    case.validate_response(response, checks=CHECKS)
    assert response.json()["assistance"] == "2800.00"
    capped_case = operation.Case(body={**EXAMPLE, "visit_number": "ZY-BIG-1", "total_cost": "58000.00",
                                       "eligible_self_paid": "50000.00"},
                                 headers={"Authorization": f"Bearer {world.key}"})
    capped = capped_case.call()
    capped_case.validate_response(capped, checks=CHECKS)
    assert capped.json()["capped"] is True and capped.json()["assistance"] == "24400.00"   # 30,000 − 2 × 2,800
