"""The audit ledger page (issue 18 part 7): search by person, object, action and time in the post's
area, newest first a page at a time (keyset: "older" carries the last sequence shown), and the
chain's status, computed when asked (`?verify=1`: the walk of `safetynet audit verify`)."""
from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.views.decorators.http import require_safe

from safetynet.areas.roles import Role
from safetynet.core.decorators import post_view
from safetynet.core.errors import ValidationError

from . import auditlog


def _cursor(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


@require_safe
@post_view(auditlog.VIEW)
def ledger(request, actor):
    error = None
    try:
        filters = auditlog.LedgerFilter.from_query(request.GET)
    except ValidationError as exc:
        filters, error = auditlog.LedgerFilter(), exc
    before = _cursor(request.GET.get("before"))
    rows, cursor = auditlog.search_ledger(actor, filters, before=before)
    roles = dict(Role.choices)
    for event in rows:
        event.role_label = roles.get(event.role, event.role)
    query = filters.as_query()
    status = auditlog.chain_status(actor) if request.GET.get("verify") == "1" else None
    return render(request, "oversight/audit/ledger.html", {
        "rows": rows, "filters": filters, "error": error, "status": status, "before": before,
        "older": urlencode({**query, "before": cursor}) if cursor else "",
        "newest": urlencode(query), "verify_query": urlencode({**query, "verify": 1})},
        status=422 if error else 200)
