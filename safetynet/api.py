"""The REST API root: /api/v1/, OpenAPI at /api/v1/openapi.json.

Authentication: the browser's session (with CSRF), or `Authorization: Bearer <token>` for
programs. Each router lives in its app's api.py; domain errors map to JSON with a code and field.
"""
import logging

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.signals import got_request_exception
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.errors import AuthenticationError, HttpError, ValidationError as NinjaValidationError

from safetynet.areas.apiauth import BearerTokenAuth
from safetynet.core.apiauth import SessionActorAuth
from safetynet.core.apischemas import NO_BRANCH, NO_NUL, branch_names, unknown_fields_message, validation_message
from safetynet.core.errors import SafetyNetError
from safetynet.core.middleware import too_large_response

class SingleValueParser(Parser):
    """A query parameter that takes one value, given more than once, is refused (422 naming it)
    rather than read as its last value: `?q=a&q=b` is not a search for "b". A NUL character in a
    parameter or a form field is refused (422 naming it), never passed on: PostgreSQL can neither
    store nor compare it (a 500 before); in a JSON body InputSchema refuses it."""

    def parse_querydict(self, data, list_fields, request):
        repeated = [key for key in data.keys() if key not in list_fields and len(data.getlist(key)) > 1]
        if repeated:
            raise NinjaValidationError([{"loc": ("query", key), "type": "value_error", "msg": _("Give this parameter once.")}
                                        for key in repeated])
        with_nul = [key for key, values in data.lists() if NUL in key or any(NUL in value for value in values)]
        if with_nul:
            raise _nul_error([("query", key) for key in with_nul])
        return super().parse_querydict(data, list_fields, request)


NUL = "\x00"


def _nul_error(locations) -> NinjaValidationError:
    return NinjaValidationError([{"loc": loc, "type": "value_error", "msg": _("A NUL character is not allowed here.")}
                                 for loc in locations])


NUL_FREE = NO_NUL          # (core.apischemas: the pattern every router uses)


def forbid_nul_in_strings(document: dict) -> None:
    """Say in the OpenAPI document what the API refuses: no text a request sends (a parameter, a
    body member) may hold a NUL character. Each such string with no pattern, format or choices
    of its own gets NUL_FREE, and so do the keys of a map (`propertyNames`); answers are left alone."""
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def mark(node) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/") and ref not in seen:
                seen.add(ref)
                mark(components.get(ref.rsplit("/", 1)[1]))
            if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & node.keys():
                node["pattern"] = NUL_FREE
            if node.get("type") == "object" and "additionalProperties" in node and "propertyNames" not in node:
                node["propertyNames"] = {"pattern": NUL_FREE}     # a map's keys are request text too
            for value in node.values():
                mark(value)
        elif isinstance(node, list):
            for value in node:
                mark(value)

    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                mark(operation.get("parameters", []))
                mark(operation.get("requestBody", {}))


# The enrollments and payroll apps were one app, payments, until issue 16: their operations keep
# the ids the OpenAPI document gave them then (ninja names an operation by its module), so a client
# generated from the document before still finds them.
MOVED_API_MODULES = {"safetynet.payroll.api": "safetynet.payments.api",
                     "safetynet.enrollments.changes_api": "safetynet.payments.changes_api",
                     "safetynet.enrollments.restandard_api": "safetynet.payments.restandard_api"}


class SafetyNetAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        module = operation.view_func.__module__
        return (MOVED_API_MODULES.get(module, module) + "_" + operation.view_func.__name__).replace(".", "_")

    def get_openapi_schema(self, *args, **kwargs):
        document = super().get_openapi_schema(*args, **kwargs)
        forbid_nul_in_strings(document)
        return document


api = SafetyNetAPI(
    title="SafetyNet API",
    version="1",
    description="Grass-roots social assistance: network, registry and cases. Every list is scoped to the caller's area.",
    urls_namespace="api-1",
    auth=[BearerTokenAuth(), SessionActorAuth()],
    parser=SingleValueParser(),
)


@api.exception_handler(SafetyNetError)
def handle_domain_error(request, exc: SafetyNetError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def handle_validation_error(request, exc: NinjaValidationError):
    errors = [_validation_error(err) for err in exc.errors]
    unknown = [e["field"] for e in errors if e["unknown"]]
    if unknown:
        first = {"field": unknown[0], "message": unknown_fields_message(unknown)}
    else:
        first = errors[0] if errors else {"field": "", "message": "invalid"}
    return api.create_response(request, {
        "code": "invalid", "message": first["message"], "field": first["field"],
        "errors": [{"field": e["field"], "message": e["message"]} for e in errors]}, status=422)


_NOT_A_FIELD = frozenset({"body", "query", "path", "payload", "form", "file", "header", "cookie"})


def _validation_error(err: dict) -> dict:
    """One of pydantic's errors as {field, message}: the field's dotted path inside the body
    (without ninja's wrapping nor the name of the branch of a union), an unknown field named in
    the language of the request."""
    loc = list(err.get("loc", []))
    while loc and loc[0] in _NOT_A_FIELD:          # where ninja found it: ("body", "payload", ...)
        loc.pop(0)
    branches = branch_names()
    loc = [str(p) for p in loc if p not in branches]
    kind = err.get("type", "")
    if kind in (NO_BRANCH, "union_tag_invalid", "union_tag_not_found"):
        # A body naming none of the models it may be: the error is on the member that names it.
        loc.append(str((err.get("ctx") or {}).get("discriminator", "")).strip("'"))
        choices = str((err.get("ctx") or {}).get("expected_tags", ""))
        message = (_("Not one of the choices (%(choices)s).") % {"choices": choices} if choices
                   else _("Not one of the choices."))
        return {"field": ".".join(p for p in loc if p), "message": message, "unknown": False}
    field = ".".join(loc)
    if kind == "extra_forbidden":
        return {"field": field, "message": unknown_fields_message([field]), "unknown": True}
    return {"field": field, "message": validation_message(err), "unknown": False}


@api.exception_handler(HttpError)
def handle_http_error(request, exc: HttpError):
    """ninja's own errors (an unparsable body, a forbidden CSRF) in the same shape as ours."""
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             429: "throttled"}
    return api.create_response(request, {"code": codes.get(exc.status_code, "error"), "message": str(exc)}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def handle_too_large(request, exc):
    """A body past DATA_UPLOAD_MAX_MEMORY_SIZE that reached the API (core.middleware's
    RequestTooLargeMiddleware refuses them first; this keeps the answer a 413 without it)."""
    return too_large_response(request)


@api.exception_handler(Http404)
def handle_not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def handle_auth_error(request, exc):
    return api.create_response(request, {"code": "unauthenticated", "message": "Log in or send a valid bearer token."}, status=401)


@api.exception_handler(OverflowError)
def handle_number_out_of_range(request, exc: OverflowError):
    """A whole number larger than the database holds (`?household=-21659311374912933888`: SQLite's
    driver cannot even send it) names no record: 404, as PostgreSQL's lookup of it finds none.
    Not 422: the OpenAPI document's integers are unbounded, so such a request is schema-valid
    (the schema test took a 422 for a valid request rejected)."""
    return api.create_response(request, {"code": "not_found", "message": gettext(
        "No record has this number: it is larger than any record can have."), "field": None}, status=404)


@api.exception_handler(Exception)
def handle_unexpected_error(request, exc: Exception):
    """Anything unforeseen: the traceback goes to the server log (django.request, and the
    got_request_exception signal), the client gets a JSON 500 without it, DEBUG on or off (ninja's
    own handler sent the traceback as text with DEBUG on). Errors Django answers itself (403, 400)
    are left to Django."""
    if isinstance(exc, (DjangoPermissionDenied, SuspiciousOperation, BadRequest)):
        raise exc
    logging.getLogger("django.request").error("Internal Server Error: %s", request.path, exc_info=exc,
                                              extra={"status_code": 500, "request": request})
    got_request_exception.send(sender=None, request=request)
    response = api.create_response(request, {"code": "server_error", "message": gettext(
        "Server error: the request could not be answered. It has been logged; try again or tell the county office.")},
        status=500)
    response._has_been_logged = True   # once, with the traceback, above
    return response


# A designated hospital's cashier waits on the settlement's answer: its routes are matched first
# (URL patterns are tried in order; at the end of the list, finding the route cost 1 ms a bill).
from safetynet.medical.api import institution_router as medical_institution_router  # noqa: E402

api.add_router("/medical/institution", medical_institution_router)
from safetynet.areas.api import router as areas_router  # noqa: E402
from safetynet.registry.api import router as registry_router  # noqa: E402

api.add_router("/areas", areas_router)
api.add_router("/", registry_router)
from safetynet.programs.api import router as programs_router  # noqa: E402
from safetynet.programs.public_api import public_router  # noqa: E402

api.add_router("/programs", programs_router)
api.add_router("/public", public_router)
from safetynet.cases.api import router as cases_router  # noqa: E402

api.add_router("/cases", cases_router)
from safetynet.verification.api import router as verification_router  # noqa: E402

api.add_router("/verification", verification_router)
from safetynet.enrollments.changes_api import router as changes_router  # noqa: E402

api.add_router("/changes", changes_router)
from safetynet.payroll.api import router as payments_router  # noqa: E402
from safetynet.enrollments.restandard_api import router as restandard_router  # noqa: E402

api.add_router("/payments/restandard", restandard_router)
api.add_router("/payments", payments_router)
from safetynet.discovery.api import router as discovery_router  # noqa: E402

api.add_router("/discovery", discovery_router)
from safetynet.oversight.api import router as oversight_router  # noqa: E402

api.add_router("/oversight", oversight_router)
from safetynet.workforce.api import router as workforce_router  # noqa: E402

api.add_router("/workforce", workforce_router)
from safetynet.services.project_api import router as projects_router  # noqa: E402

api.add_router("/projects", projects_router)
from safetynet.services.api import router as services_router  # noqa: E402

api.add_router("/services", services_router)
from safetynet.funding.api import router as funding_router  # noqa: E402

api.add_router("/funding", funding_router)
from safetynet.medical.api import router as medical_router  # noqa: E402

api.add_router("/medical", medical_router)
from safetynet.workload.api import router as workload_router  # noqa: E402

api.add_router("/workload", workload_router)
