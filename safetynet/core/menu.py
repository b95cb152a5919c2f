"""The main menu: what a post may open, read from the permission each page's view checks.

A page's permission lives once, in its view's `post_view(permission)` (which records it as
`view.required_permission`); the menu resolves each entry's URL to its view and shows the entry
only to a post holding that permission, so no post is offered a page that would answer 403
(issue 15, item 12). A view without the attribute is open to any post (the home page, the
calendar).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str
    instead_of: str = ""     # shown only when the entry of this URL name is not
    unless: str = ""         # not shown to a post holding this permission (it has a wider page)


MENU = (
    MenuEntry("home", _("My work")),
    MenuEntry("cases:queue", _("Cases")),
    MenuEntry("registry:household_list", _("Households")),
    MenuEntry("areas:tree", _("Network")),
    MenuEntry("programs:index", _("Standards")),
    MenuEntry("verification:data", _("Verification")),
    MenuEntry("payments:runs", _("Payroll")),
    MenuEntry("changes:queue", _("Changes and exits")),
    MenuEntry("changes:report_list", _("Report a change"), instead_of="changes:queue"),
    MenuEntry("discovery:mine", _("My leads"), unless="discovery.work"),   # a town post works the town's list
    MenuEntry("discovery:leads", _("Leads")),
    MenuEntry("discovery:window", _("One-door acceptance")),
    MenuEntry("discovery:referral_list", _("Referrals")),
    MenuEntry("discovery:report", _("Report someone in need")),
    MenuEntry("discovery:register", _("Monitoring register")),
    MenuEntry("discovery:warning_rules", _("Warning rules")),
    MenuEntry("discovery:dashboard", _("Discovery dashboard")),
    MenuEntry("oversight:boards", _("Village boards")),
    MenuEntry("oversight:spotcheck_list", _("Spot checks")),
    MenuEntry("oversight:complaints", _("Complaints and reports")),
    MenuEntry("oversight:inspection_overview", _("Supervision overview")),
    MenuEntry("oversight:finding_list", _("Inspection findings")),
    MenuEntry("oversight:relative_filings", _("Close relatives")),
    MenuEntry("oversight:my_relatives", _("My close relatives"), unless="oversight.view"),  # the register's tabs link it
    MenuEntry("oversight:audit", _("Audit ledger")),
    MenuEntry("oversight:anomaly_runs", _("Anomaly reports")),
    MenuEntry("calendar", _("Working-day calendar")),
)


@cache
def required_permission(url_name: str) -> str | None:
    """The permission the page at `url_name` checks (None: any post may open it)."""
    view = resolve(reverse(url_name)).func
    return getattr(view, "required_permission", None)


def may_open(actor, url_name: str) -> bool:
    """Whether `actor` (a post) may open the page at `url_name`: the view's own check."""
    if actor is None:
        return False
    permission = required_permission(url_name)
    return permission is None or actor.can(permission)


def menu_for(actor) -> list[dict]:
    """The menu entries `actor` may open, in order: [{"url", "label", "url_name"}]."""
    shown: set[str] = set()
    entries = []
    for entry in MENU:
        if entry.instead_of and entry.instead_of in shown:
            continue
        if entry.unless and actor is not None and actor.can(entry.unless):
            continue
        if may_open(actor, entry.url_name):
            shown.add(entry.url_name)
            entries.append({"url_name": entry.url_name, "url": reverse(entry.url_name), "label": entry.label})
    return entries
