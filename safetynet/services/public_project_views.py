"""The public pages of service projects (no login), mounted at /projects/ (namespace
`projects_public`): a social organisation proposes a project (`propose/`) and follows it with the
token given once at filing (`follow/`, the token POSTed, never in a URL).

The follow page shows the reference, the state and its days, and the county's answer to a
rejected proposal (`projects.public_view`): never a contact, an evaluator, a score or a staff
note. Each form is rate limited per client address, as the public complaint form is.

Proposals come through this page only, not the API: an organisation holds no API credential, and
a second, CSRF-free public door would need its own abuse controls for no user who needs it.
"""
from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from safetynet.areas.models import Area, Level
from safetynet.core.errors import SafetyNetError
from safetynet.programs.throttle import PublicCheckThrottle

from . import projects as svc
from .project_forms import ProposalForm, TokenForm, project_input_of

PUBLIC_RATE = "20/h"


class ProposalThrottle(PublicCheckThrottle):
    scope = "public_project"

    def __init__(self):
        super().__init__(PUBLIC_RATE)


def find_areas(q: str, chosen: str = "") -> list[tuple[str, str]]:
    """Counties and towns whose name or code matches (at most 30), and the one chosen, each with
    the county of a town."""
    qs = Area.objects.filter(level__in=[Level.COUNTY, Level.TOWN], is_active=True)
    found = qs.filter(Q(name__contains=q) | Q(code__startswith=q))[:30] if q and len(q) >= 2 else []
    rows = {a.code: a for a in found}
    if chosen and chosen not in rows:
        extra = qs.filter(code=chosen).first()
        if extra is not None:
            rows[extra.code] = extra
    counties = dict(Area.objects.filter(code__in={c[:6] for c in rows}).values_list("code", "name"))
    return [(code, a.name if a.level == Level.COUNTY else f"{a.name} · {counties.get(code[:6], '')}")
            for code, a in sorted(rows.items())]


def _too_many(request, form) -> bool:
    if ProposalThrottle().allow_request(request):
        return False
    form.is_valid()
    form.add_error(None, _("Too many requests from this address: please try again later."))
    return True


@require_http_methods(["GET", "POST"])
def propose(request):
    """Find the county or town, then the form; on a refusal what was typed is kept."""
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()[:30]
    chosen = (request.POST.get("area") or request.GET.get("area") or "").strip()[:12]
    areas = find_areas(q, chosen)
    form = ProposalForm(request.POST or None, areas=areas, initial={"area": chosen})
    status = 200
    if request.method == "POST":
        if _too_many(request, form):
            status = 429
        elif form.is_valid():
            try:
                filed = svc.propose_project(project_input_of(form.cleaned_data))
            except SafetyNetError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return render(request, "services/projects/proposed.html",
                              {"project": filed.project, "token": filed.token})
        status = status if status != 200 else 422
    return render(request, "services/projects/public_propose.html", {
        "form": form.mark_invalid(), "q": q, "areas": areas, "searched": bool(q)}, status=status)


@require_http_methods(["GET", "POST"])
def follow(request):
    """Type the token (POSTed): the proposal's state and its days, the county's answer."""
    form = TokenForm(request.POST or None)
    context: dict = {"form": form}
    status = 200
    if request.method == "POST":
        if _too_many(request, form):
            status = 429
        elif form.is_valid():
            try:
                project = svc.project_by_token(form.cleaned_data["token"])
            except SafetyNetError as exc:
                form.add_error("token", exc.message)
                status = 404
            else:
                context["view"] = svc.public_view(project)
    context["form"] = form.mark_invalid()
    return render(request, "services/projects/public_follow.html", context, status=status)
