"""A schema-driven fuzz of the whole API (issue 14 item 16): schemathesis generates requests for
every operation of /api/v1/openapi.json, the schema's own (positive) and ones the schema forbids
(negative), as a superuser and as a town post, against a county with a household, an open and a
confirmed case, an enrollment, a re-check and a payroll run whose ids the paths use; no request
may answer 5xx (`not_a_server_error`).

Bounded to run in make test: a few examples per operation and mode, derandomized (the same
requests each run, so the gate does not flake). `SAFETYNET_FUZZ_EXAMPLES=50` (and
`SAFETYNET_FUZZ_RANDOM=1` for new examples each run) fuzz harder by hand. Every operation runs;
the failures are reported together, each with the request that caused it. Conformance of answers
to the schema is test_api_schema.py's."""
from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from safetynet.wsgi import application
from tests.payments_helpers import make_poor_household
from tests.conftest import COUNTY, TOWN

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

EXAMPLES = {GenerationMode.POSITIVE: int(os.environ.get("SAFETYNET_FUZZ_EXAMPLES", "5")),
            GenerationMode.NEGATIVE: max(1, int(os.environ.get("SAFETYNET_FUZZ_EXAMPLES", "5")) * 3 // 5)}
RANDOM = os.environ.get("SAFETYNET_FUZZ_RANDOM") == "1"


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Schemathesis calls the WSGI app directly, so the request signals would close the test's
    database connection (and PostgreSQL lose its transaction): keep it, as Django's client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(payroll, med, settings, tmp_path):
    """The county with real objects behind every id a path takes."""
    from safetynet.cases import services as cases
    from safetynet.enrollments import rechecks
    from safetynet.payroll import services as payments

    settings.DATA_DIR = tmp_path / "data"
    p = payroll
    waiting = make_poor_household(p.posts.worker, p.village.code, address="正定镇某村 8 号")
    p.open_case = cases.apply_for_assistance(actor=p.posts.worker, program_code="dibao", household_id=waiting.pk,
                                             applicant_id=waiting.head_id, channel="walk_in")
    p.run = payments.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    p.recheck = rechecks.record_change_report(actor=p.posts.worker, enrollment_id=p.base.pk, kind="income",
                                              description="务工收入增加").recheck
    household = p.base.household
    p.institution_key = med.key   # the designated institutions' endpoints take a hospital's key
    p.ids = {"household_id": household.pk, "person_id": household.head_id, "case_id": p.open_case.pk,
             "run_id": p.run.pk, "enrollment_id": p.base.pk, "recheck_id": p.recheck.pk}
    return p


@pytest.fixture(params=["superuser", "town_worker"])
def bearer(request, world):
    from django.contrib.auth import get_user_model

    from safetynet.areas.tokens import issue_api_token

    if request.param == "superuser":
        get_user_model().objects.create_superuser("fuzz_root", password="a-long-root-password-1")
        actor, username = world.posts.officer, "fuzz_root"
    else:
        actor = world.posts.worker
        username = actor.username
    assert actor.area_code.startswith(COUNTY) and world.posts.worker.area_code == TOWN
    return issue_api_token(actor=actor, username=username)[1]


def _fixed_path(operation, ids: dict) -> dict:
    return {name: ids[name] for name in re.findall(r"\{(\w+)\}", operation.path) if name in ids}


def _fuzz(operation, mode: GenerationMode, ids: dict, token: str, answers: set) -> None:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=_fixed_path(operation, ids))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=not RANDOM,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def requests(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call()
        answers.add(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])

    requests()


@pytest.mark.django_db
def test_no_request_to_the_api_answers_a_server_error(world, bearer):
    failures, answers = [], {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 80
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                token = world.institution_key if operation.path.startswith("/api/v1/medical/institution/") else bearer
                _fuzz(operation, mode, world.ids, token, answers.setdefault(operation.label, set()))
            except (Exception, BaseExceptionGroup) as error:   # every operation runs; all failures are reported together
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
    # The fuzz reached the handlers: the token was taken everywhere, and many operations did their work.
    assert [label for label, statuses in answers.items() if 401 in statuses] == []
    assert len([label for label, statuses in answers.items() if any(200 <= s < 300 for s in statuses)]) >= 15
