"""The grid report page (issue 17 part 1): a phone-first, installable web app that keeps working
offline. The page is one HTML shell with its own small CSS and vanilla JS (no Bootstrap, nothing
from a CDN, system fonts); the reports it writes wait in the phone's IndexedDB and go to
`POST /api/v1/discovery/reports` (report_api.py) once the network is back, each with the key it
was given when written, so a retry never opens a second lead.

The service worker and the manifest are served from here (under `/discovery/report/`, the
worker's scope): they hold no personal data, so they need no login; the worker caches only the
page shell (the page, its script, style and icons), never an API answer.
"""
from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from safetynet.areas.models import Area, Level
from safetynet.core.decorators import post_view

from . import services
from .models import REPORT_CAUSES, Urgency

STATIC = Path(settings.BASE_DIR) / "static" / "discovery"
# What the service worker keeps so the page opens offline (static paths; the page's own URL is added).
SHELL_FILES = ("report.css", "report-send.js", "report.js", "icon.svg", "icon-192.png")
MAX_AREAS = 400


def shell_urls() -> list[str]:
    """The URLs of the page shell, in the order a first load fetches them."""
    return [reverse("discovery:report"), *[static(f"discovery/{name}") for name in SHELL_FILES],
            reverse("discovery:report_manifest")]


@cache
def shell_version() -> str:
    """A digest of the shell's files and the worker's own code: a new release changes the worker's
    script, so the phone installs it and drops the old cache."""
    digest = hashlib.sha256()
    for path in [*(STATIC / name for name in SHELL_FILES), STATIC / "sw.js",
                 Path(__file__).parent / "templates" / "discovery" / "report.html"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def report_areas(actor) -> list[dict]:
    """The villages, groups and grids of the post's area a new person may be placed in (the
    post's own area first when it is one of them)."""
    levels = (Level.VILLAGE, Level.GROUP, Level.GRID)
    areas = (Area.objects.filter(code__startswith=actor.area_code, level__in=levels, is_active=True)
             .order_by("code").values("code", "name", "level", "parent__name")[:MAX_AREAS])
    return [{"code": a["code"], "label": a["name"] if a["level"] == Level.VILLAGE else f'{a["parent__name"]} · {a["name"]}'}
            for a in areas]


def page_words() -> dict:
    """Every word the script shows, in the request's language (the script has none of its own)."""
    return {
        "waiting": _("Waiting to send"), "sending": _("Sending…"), "sent": _("Sent"), "refused": _("Refused"),
        "lead": _("lead %(number)s"), "joined": _("added to the open lead %(number)s"),
        "photoRefused": _("Photo not kept: %(reason)s"), "online": _("Online"), "offline": _("Offline: reports wait on this phone"),
        "loginAgain": _("Log in again to send (the report waits on this phone)."),
        "serverBusy": _("The office's system did not answer; the report waits and will be sent again."),
        "needWho": _("Choose a household, or give the person's name."), "needArea": _("Choose the village, group or grid."),
        "needAddress": _("Give an address or a description of the place."), "needCause": _("Choose what happened."),
        "saved": _("Saved on this phone. It will be sent as soon as there is a network."),
        "noHouseholds": _("No household found."), "offlineSearch": _("Searching the households kept on this phone."),
        "members": _("%(n)s people"), "positionTaken": _("Position: %(lat)s, %(lon)s (±%(acc)s m)"),
        "positionFailed": _("The position could not be read."), "photoReady": _("Photo ready (%(kb)s KB)"),
        "photoFailed": _("This file could not be read as a photo."), "remove": _("Remove"),
        "nothingQueued": _("No reports waiting."), "householdsKept": _("%(n)s households kept for offline use."),
        "unknownHousehold": _("Household #%(id)s"), "newPerson": _("%(name)s (new)"),
    }


@ensure_csrf_cookie
@post_view(services.REPORT)
def report_page(request, actor):
    """The report form and the list of this phone's reports."""
    config = {
        "api": reverse("api-1:discovery_file_report"), "households": reverse("api-1:discovery_my_households"),
        "worker": reverse("discovery:report_worker"), "scope": reverse("discovery:report"),
        "user": actor.user_id, "words": page_words(),
    }
    return render(request, "discovery/report.html", {
        "actor": actor, "areas": report_areas(actor), "causes": [(str(c), c.label) for c in REPORT_CAUSES],
        "urgencies": [(str(u), u.label) for u in (Urgency.NORMAL, Urgency.SOON, Urgency.URGENT)],
        "config": config, "home": reverse("home"),
    })


@require_GET
def report_worker(request):
    """The service worker's script (from here, so its scope is the page's folder)."""
    body = "\n".join([
        f"const VERSION = {json.dumps(shell_version())};",
        f"const SHELL = {json.dumps(shell_urls())};",
        f"const PAGE = {json.dumps(reverse('discovery:report'))};",
        f"importScripts({json.dumps(static('discovery/report-send.js'))});",
        (STATIC / "sw.js").read_text(encoding="utf-8"),
    ])
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("discovery:report")
    return response


@require_GET
def report_manifest(request):
    """The web app manifest: installable, opening on the report page, in the request's language."""
    manifest = {
        "name": _("SafetyNet: report someone in need"), "short_name": _("Report"),
        "lang": request.LANGUAGE_CODE, "start_url": reverse("discovery:report"), "scope": reverse("discovery:report"),
        "display": "standalone", "background_color": "#ffffff", "theme_color": "#b3261e",
        "icons": [{"src": static("discovery/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": static("discovery/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    response = HttpResponse(json.dumps(manifest, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
