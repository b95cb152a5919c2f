"""The OpenAPI document names each schema by its class name only, so two apps' classes of the same
name collapse into one component and one endpoint is documented (and schemathesis-tested) with the
other's body. Every schema class the API's components name must be the only one of its name."""
from collections import defaultdict

import pydantic


def _subclasses(base):
    for cls in base.__subclasses__():
        yield cls
        yield from _subclasses(cls)


def test_no_two_schema_classes_share_a_component_name():
    from safetynet.api import api

    components = set(api.get_openapi_schema()["components"]["schemas"])
    by_name = defaultdict(set)
    for cls in _subclasses(pydantic.BaseModel):
        if cls.__module__.startswith("safetynet.") and cls.__name__ in components:
            by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not clashes, f"schema names used by more than one class: {clashes}"


def test_the_recheck_survey_and_the_case_survey_are_documented_apart():
    from safetynet.api import api

    document = api.get_openapi_schema()
    body = document["paths"]["/api/v1/cases/{case_id}/survey"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/SurveyIn")
    assert "version" in document["components"]["schemas"]["SurveyIn"]["properties"]   # the case's own
    recheck = document["paths"]["/api/v1/changes/rechecks/{recheck_id}/survey"]["post"]["requestBody"]
    assert recheck["content"]["application/json"]["schema"]["$ref"].endswith("/RecheckSurveyIn")
