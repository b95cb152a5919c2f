"""Schema-driven API test (DESIGN.md §7): schemathesis generates requests from the OpenAPI
document and checks every answer against it: no 500s, documented status codes and bodies.

Derandomized, as test_api_fuzz.py is: the same requests each run, so the gate does not flake on a
new example that lands on a known, documented refusal (stop 26's CI failed on a name of one NUL
character). `SAFETYNET_SCHEMA_RANDOM=1` draws new examples each run, to explore by hand."""
import datetime as dt
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from safetynet.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# Text with a NUL character is refused with 422 on purpose (Django's ProhibitNullCharactersValidator,
# tested in test_core_text.py), which OpenAPI cannot say: schema-valid bodies carry none.
schema.config.generation.update(allow_x00=False)
RANDOM = os.environ.get("SAFETYNET_SCHEMA_RANDOM") == "1"
if not RANDOM:
    # The coverage phase's boundary cases, positive only in the gate: its negative ones were two
    # thirds of the requests (1,215 against 409 for workforce's 19 operations) and of this file's
    # minutes, computed again at collection on each worker. Schema-invalid requests are still sent
    # by the fuzzing phase (both modes, `negative_data_rejection`) and by test_api_fuzz.py;
    # SAFETYNET_SCHEMA_RANDOM=1 runs the negative boundaries too.
    schema.config.phases.coverage.generation.update(modes=[GenerationMode.POSITIVE])


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Django's test client stops request_finished from closing the database connection; here
    schemathesis calls the WSGI app directly, so do the same (else PostgreSQL loses the test's
    transaction mid-test)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(county, make_actor):
    from safetynet.areas.tokens import issue_api_token
    from safetynet.core.idnumbers import make_id_number
    from safetynet.registry import services

    actor = make_actor("town_worker", "130123100", username="schema_worker")
    village = county.__class__.objects.filter(parent_id="130123100", level="village").order_by("code").first()
    services.create_household(actor=actor, area_code=village.code, address="某村 1 号", registration_type="rural", members=[
        {"name": "王一", "id_number": make_id_number("130123", dt.date(1960, 1, 1), 1, "male"), "relation_to_head": "head"}])
    _, secret = issue_api_token(actor=actor, username="schema_worker")
    return secret


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=not RANDOM, database=None if not RANDOM else settings.default.database,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, token):
    # Real credentials replace whatever auth schemathesis generated, so its "ignored auth"
    # check does not apply here; bad and missing tokens are tested in test_api_auth.py.
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    excluded = [ignored_auth]
    uploads = ("/verification/snapshots", "/returns", "/discovery/reports")
    if case.operation.path.endswith(uploads) and case.method.upper() == "POST":
        # A department's or a bank's file: its validity (columns, types, keys) cannot be said in
        # OpenAPI, so a schema-valid upload of random bytes is rightly refused with 422 naming the
        # problem; an empty one Django's parser drops, and 422 says the file is missing. A grid
        # report names a household of the caller's area or a person with an area and an address,
        # which OpenAPI cannot say either.
        excluded.append(positive_data_acceptance)
    if case.operation.path.endswith("/discovery/window") and case.method.upper() == "POST":
        # One door routes a person three ways, and each route needs its own fields (an application
        # its program and applicant, a referral its agencies, a closure its reason): OpenAPI's
        # one_of cannot be told apart here by a member, so a body valid for the schema may name a
        # route without what it needs, and is rightly refused with 422 naming the missing field.
        excluded.append(positive_data_acceptance)
    if case.operation.path.endswith("/oversight/complaints") and case.method.upper() == "POST":
        # A complaint names where the matter is: a village or town, or the case or enrollment it
        # concerns (whose area it takes). OpenAPI cannot say "one of these three", so a body with
        # none is schema-valid and rightly refused with 422 naming `area`.
        excluded.append(positive_data_acceptance)
    if case.operation.path.endswith("/medical/reimbursements") and case.method.upper() == "POST":
        # A bill's parts add up to its total and its dates are in order and past (the cashier's
        # read_bill): OpenAPI cannot say so, and such a body is rightly refused with 422 naming the field.
        excluded.append(positive_data_acceptance)
    if case.operation.path.endswith("/medical/certifications") and case.method.upper() == "POST":
        # A certification names a person by an ID number whose check digit, and a period that ends
        # after it begins and within three years: OpenAPI can say neither, so a schema-valid body
        # is rightly refused with 422 naming `id_number` or `valid_until`.
        excluded.append(positive_data_acceptance)
    if case.operation.path.endswith("/public/eligibility") and case.method.upper() == "POST":
        # A village code of twelve digits names a village of the list, or is refused with 422
        # naming `area_code` ("no such area"): OpenAPI cannot say which codes exist.
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
