"""Schemas every router shares: the base of every request body, the error body and the
paginated list envelope."""
import typing
from typing import Annotated, Callable, Union

from django.utils.translation import get_language, gettext_lazy as _l, ngettext
from ninja import Field, Schema
from pydantic import ConfigDict, Discriminator, Tag, field_validator
from pydantic_core import core_schema

from .errors import ValidationError

ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422)

# What a text field of a body may hold, as OpenAPI patterns, so the document tells clients (and
# schemathesis) what InputSchema.refuse_nul and the services refuse. One place for every router.
NO_NUL = r"^[^\x00]*$"                                   # any text without a NUL character
SOME_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"              # ...and something besides spaces
NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"                 # one line: no control character at all
SOME_LINE = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"   # ...and not blank


def _no_null_default_where_null_is_refused(schema: dict, model) -> None:
    # A field that may be left out but not sent as null (a PATCH's `name: str = None`) is written
    # without `"default": null`, which its own type would refuse.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and not _allows_null(prop):
            del prop["default"]


def _allows_null(prop: dict) -> bool:
    if prop.get("type") == "null":
        return True
    return any(_allows_null(p) for p in prop.get("anyOf", []) + prop.get("oneOf", []))


class InputSchema(Schema):
    """The base of every request body (and of every object inside one): a field the endpoint
    does not take is refused with 422 naming it, never dropped, so `bank_acount` or `phnoe` is
    not answered 201 as if it had been saved. The OpenAPI document says so
    (`additionalProperties: false`). Query strings keep `Schema`: they are not bodies.

    A PATCH body types each field as what it may be set to and defaults it to None, meaning "not
    sent" (`payload.dict(exclude_unset=True)`): a null sent for a fact that cannot be empty is then
    refused by the type, not read by the service as the fact's default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_default_where_null_is_refused)

    @field_validator("*", mode="before")
    @classmethod
    def refuse_nul(cls, value):
        """A NUL character in any text of the body (PostgreSQL can neither store nor compare it:
        a 500 before) is refused on its field."""
        if holds_nul(value):
            raise ValueError(_l("A NUL character is not allowed here."))
        return value


def holds_nul(value) -> bool:
    """Whether a JSON value holds a NUL character in any of its strings or keys."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(holds_nul(v) for v in value)
    return False


def one_of(models: tuple[type[InputSchema], ...], branch: Callable[[dict], str | None], *, field: str,
           choices: tuple[str, ...]) -> object:
    """A body that is one of `models`, told apart by `branch(body)` (the class name of the model
    it is, or None when the body names none), so a bad body gets the errors of the one model it
    claims to be, not of every other (a temporary-assistance application with a negative amount
    was answered with 22 errors about the program). `field` is the member that tells them apart
    and `choices` its values: a body that names no model is refused on it. Error paths leave the
    branch's name out (`branch_names`)."""
    _BRANCHES.update(m.__name__ for m in models)

    def tag(value):
        data = getattr(value, "_obj", value)            # (ninja may wrap the input)
        return branch(data) if isinstance(data, dict) else None

    return Annotated[Union[tuple(Annotated[m, Tag(m.__name__)] for m in models)],  # type: ignore[valid-type]
                     Discriminator(tag, custom_error_type=NO_BRANCH,
                                   custom_error_message=f"{field}: one of {', '.join(choices)}",
                                   custom_error_context={"discriminator": field, "expected_tags": ", ".join(choices)})]


_BRANCHES: set[str] = set()
NO_BRANCH = "no_such_branch"       # the error type of a body `one_of` cannot place


def branch_names() -> frozenset[str]:
    """The names `one_of` gives its branches: they appear in a validation error's path."""
    return frozenset(_BRANCHES)


def unknown_fields_message(names: list[str]) -> str:
    """"Unknown field(s): a, b." in the request's language."""
    return ngettext("Unknown field: %(names)s.", "Unknown fields: %(names)s.", len(names)) % {"names": ", ".join(names)}


def refuse_unknown_form_fields(request, *, fields: set[str], files: set[str]) -> None:
    """A multipart body's fields and files are not a schema's, so ninja would drop a misspelled one
    (`taken_onn`, and the snapshot dated today): refuse it as InputSchema refuses a JSON field."""
    unknown = sorted((set(request.POST) - fields - {"csrfmiddlewaretoken"}) | (set(request.FILES) - files))
    if unknown:
        raise ValidationError(unknown_fields_message(unknown), field=unknown[0])


# pydantic's error types, answered in the request's language (its own messages are English only).
# A `{name}` is filled from the error's context (the limit, the length, the choices).
VALIDATION_MESSAGES = {
    "missing": _l("This field is required."),
    "int_type": _l("Give a whole number."), "int_parsing": _l("Give a whole number."),
    "int_from_float": _l("Give a whole number."),
    "float_type": _l("Give a number."), "float_parsing": _l("Give a number."),
    "decimal_type": _l("Give an amount as a number, e.g. 1234.50."),
    "decimal_parsing": _l("Give an amount as a number, e.g. 1234.50."),
    "decimal_max_places": _l("At most {decimal_places} decimal places."),
    "decimal_max_digits": _l("The number is too large."), "decimal_whole_digits": _l("The number is too large."),
    "finite_number": _l("Give a finite number."),
    "bool_type": _l("Give true or false."), "bool_parsing": _l("Give true or false."),
    "string_type": _l("Give text."), "string_unicode": _l("Give text."),
    "string_too_short": _l("At least {min_length} characters."),
    "string_too_long": _l("At most {max_length} characters."),
    "string_pattern_mismatch": _l("Not in the expected form."),
    "greater_than": _l("Must be greater than {gt}."), "greater_than_equal": _l("Must be at least {ge}."),
    "less_than": _l("Must be less than {lt}."), "less_than_equal": _l("Must be at most {le}."),
    "multiple_of": _l("Must be a multiple of {multiple_of}."),
    "literal_error": _l("Not one of the choices ({expected})."), "enum": _l("Not one of the choices ({expected})."),
    "date_type": _l("Give a date as YYYY-MM-DD."), "date_parsing": _l("Give a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": _l("Give a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": _l("Give a date as YYYY-MM-DD, without a time."),
    "datetime_type": _l("Give a date and time (ISO 8601)."), "datetime_parsing": _l("Give a date and time (ISO 8601)."),
    "datetime_from_date_parsing": _l("Give a date and time (ISO 8601)."),
    "list_type": _l("Give a list."), "tuple_type": _l("Give a list."), "set_type": _l("Give a list."),
    "too_short": _l("Give at least {min_length} items."), "too_long": _l("Give at most {max_length} items."),
    "dict_type": _l("Give an object."), "model_type": _l("Give an object."),
    "model_attributes_type": _l("Give an object."),
    "json_invalid": _l("The body is not valid JSON."), "json_type": _l("The body is not valid JSON."),
    "uuid_type": _l("Give an identifier (UUID)."), "uuid_parsing": _l("Give an identifier (UUID)."),
}
INVALID_VALUE = _l("This value is not valid.")
PYDANTIC_ERROR_TYPES = frozenset(typing.get_args(core_schema.ErrorType))


def validation_message(error: dict) -> str:
    """One of pydantic's errors in the request's language: the project's own validators speak it
    already (their text, without pydantic's "Value error, "; an error type of our own, such as
    areas' `use_after`, as raised); a pydantic type by its sentence; any other of pydantic's in
    English as pydantic gives it, or a plain "not valid" in another language."""
    kind, message = error.get("type", ""), str(error.get("msg", ""))
    if kind not in PYDANTIC_ERROR_TYPES:
        return message
    if kind in ("value_error", "assertion_error"):
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return message
    template = VALIDATION_MESSAGES.get(kind)
    if template is None:
        return message if (get_language() or "").startswith("en") and message else str(INVALID_VALUE)
    context = {key: str(value).replace("'", "") for key, value in (error.get("ctx") or {}).items()}
    try:
        return str(template).format(**context)
    except (KeyError, IndexError, ValueError):
        return str(INVALID_VALUE)


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


def responses(ok, *, ok_status: int = 200) -> dict:
    """`{200: ok, 400..422: ErrorOut}`: declared on each operation so the OpenAPI document
    tells clients (and schemathesis) every answer they can get."""
    return {ok_status: ok, **{status: ErrorOut for status in ERROR_STATUSES}}


MAX_OFFSET = 1_000_000_000


class PageQuery(Schema):
    """limit/offset pagination shared by every list endpoint."""

    limit: int = Field(50, ge=1, le=500, description="rows per page (1-500)")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="rows to skip")
