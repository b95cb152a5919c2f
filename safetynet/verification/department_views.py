"""The department logins page (issue 4, part 5): a county officer registers a department's login,
issues it a bearer token (shown once, on the answer to that request only), revokes a token, and
deactivates the login.

Thin: department_accounts.py does each write (permission, scope, audit). The forms post with htmx
and the page section is swapped in place; without htmx a write redirects back (POST-redirect-GET),
except the token, which is shown on the answer itself because it is never stored.
"""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError

from . import department_accounts as accounts
from .forms import DepartmentAccountForm, TokenForm
from .schemas import Department
from .views import verification_view

PERMISSION = accounts.MANAGE_PERMISSION


def _register_form(actor, data=None) -> DepartmentAccountForm:
    return DepartmentAccountForm(data, departments=Department.choices, with_area=actor.is_national)


def _render(request, actor, *, form=None, notice: str = "", error: str = "", issued: dict | None = None, status: int = 200):
    rows = []
    for account in accounts.accounts_in_scope(actor).order_by("-is_active", "department", "user__username"):
        rows.append({"account": account, "tokens": list(accounts.live_tokens(account)[:10]) if account.is_active else []})
    context = {"rows": rows, "form": form or _register_form(actor), "token_form": TokenForm(), "notice": notice,
               "error": error, "issued": issued}
    template = "verification/_departments.html" if request.htmx else "verification/departments.html"
    return render(request, template, context, status=status)


def _after_write(request, actor, notice: str):
    if request.htmx:
        return _render(request, actor, notice=notice)
    messages.success(request, notice)
    return redirect("verification:departments")


def _refused(request, actor, error: SafetyNetError):
    if request.htmx:
        return _render(request, actor, error=error.message, status=error.status)
    messages.error(request, error.message)
    return redirect("verification:departments")


@require_GET
@verification_view(PERMISSION)
def department_list(request, actor):
    return _render(request, actor)


@require_POST
@verification_view(PERMISSION)
def register(request, actor):
    form = _register_form(actor, request.POST)
    if not form.is_valid():
        return _render(request, actor, form=form, status=422)
    data = form.cleaned_data
    try:
        account = accounts.register_department_account(actor=actor, username=data["username"], department=data["department"],
                                                       area_code=data.get("area") or "")
    except PermissionDenied:
        raise
    except SafetyNetError as error:   # NotFound here is about the name or area typed: shown beside it
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _render(request, actor, form=form, status=409 if isinstance(error, Conflict) else 422)
    return _after_write(request, actor, _("%(u)s is now the login of the %(d)s department.") % {
        "u": account.user.get_username(), "d": account.get_department_display()})


@require_POST
@verification_view(PERMISSION)
def deactivate(request, actor, account_id: int):
    try:
        account = accounts.deactivate_department_account(actor=actor, account_id=account_id)
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as error:
        return _refused(request, actor, error)
    return _after_write(request, actor, _("%(u)s is deactivated: it can no longer upload, and its tokens are revoked.")
                        % {"u": account.user.get_username()})


@require_POST
@verification_view(PERMISSION)
def issue_token(request, actor, account_id: int):
    form = TokenForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    try:
        token, secret = accounts.issue_department_token(actor=actor, account_id=account_id, name=name)
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as error:
        return _refused(request, actor, error)
    account = accounts.get_account(actor, account_id)
    response = _render(request, actor, issued={"account": account, "token": token, "secret": secret})
    response["Cache-Control"] = "no-store"   # the secret must not stay in any cache
    return response


@require_POST
@verification_view(PERMISSION)
def revoke_token(request, actor, account_id: int, token_id: int):
    try:
        token = accounts.revoke_department_token(actor=actor, account_id=account_id, token_id=token_id)
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as error:
        return _refused(request, actor, error)
    return _after_write(request, actor, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
