"""Schemas every router shares: the error body and the paginated list envelope."""
from ninja import Field, Schema

ERROR_STATUSES = (400, 401, 403, 404, 409, 422)


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
