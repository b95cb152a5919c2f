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
    group: str = ""          # a key of GROUPS: shown in that group's drop-down, not on the bar


# The bar's drop-downs, so that a county post's dozens of pages fit one line.
GROUPS = {
    "discovery": _("Discovery"),
    "oversight": _("Supervision"),
    "workforce": _("Workforce"),
    "services": _("Purchased services"),
    "medical": _("Medical assistance"),
}


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
    MenuEntry("discovery:report", _("Report someone in need")),   # the grid worker's first action: on the bar
    MenuEntry("discovery:mine", _("My leads"), unless="discovery.work", group="discovery"),   # a town post works the town's list
    MenuEntry("discovery:leads", _("Leads"), group="discovery"),
    MenuEntry("discovery:window", _("One-door acceptance"), group="discovery"),
    MenuEntry("discovery:referral_list", _("Referrals"), group="discovery"),
    MenuEntry("discovery:register", _("Monitoring register"), group="discovery"),
    MenuEntry("discovery:warning_rules", _("Warning rules"), group="discovery"),
    MenuEntry("discovery:dashboard", _("Discovery dashboard"), group="discovery"),
    MenuEntry("oversight:complaints", _("Complaints and reports"), group="oversight"),
    MenuEntry("oversight:boards", _("Village boards"), group="oversight"),
    MenuEntry("oversight:spotcheck_list", _("Spot checks"), group="oversight"),
    MenuEntry("oversight:anomaly_runs", _("Anomaly reports"), group="oversight"),
    MenuEntry("oversight:relative_filings", _("Close relatives"), group="oversight"),
    MenuEntry("oversight:my_relatives", _("My close relatives"), unless="oversight.view", group="oversight"),  # the register's tabs link it
    MenuEntry("oversight:finding_list", _("Inspection findings"), group="oversight"),
    MenuEntry("oversight:inspection_overview", _("Supervision overview"), group="oversight"),
    MenuEntry("oversight:audit", _("Audit ledger"), group="oversight"),
    MenuEntry("county_overview", _("County overview"), group="workforce"),
    MenuEntry("workforce:staff_list", _("Staff register"), group="workforce"),
    MenuEntry("workforce:courses", _("Training courses"), group="workforce"),
    MenuEntry("workforce:behind", _("Behind on training"), group="workforce"),
    MenuEntry("workforce:mentoring", _("Mentoring"), group="workforce"),
    MenuEntry("workload:overview", _("Workload"), group="workforce"),
    MenuEntry("workload:mine", _("My assigned work"), group="workforce"),
    MenuEntry("funding:subsidies", _("Work subsidies"), group="workforce"),
    MenuEntry("funding:budgets", _("Budgets"), group="workforce"),
    MenuEntry("funding:spending", _("Spending against budgets"), group="workforce"),
    MenuEntry("projects:list", _("Service projects"), group="services"),
    MenuEntry("projects:evaluations", _("My project evaluations"), group="services"),
    MenuEntry("services:my_tasks", _("My tasks"), unless="services.view", group="services"),  # a provider's worker
    MenuEntry("services:providers", _("Service providers"), group="services"),
    MenuEntry("services:contracts", _("Service contracts"), group="services"),
    MenuEntry("services:lend", _("Lend work to a provider"), group="services"),
    MenuEntry("services:queue", _("Tasks to accept"), group="services"),
    MenuEntry("medical:reimbursements", _("Manual reimbursements"), group="medical"),
    MenuEntry("medical:people", _("People's medical ledgers"), group="medical"),
    MenuEntry("medical:settlements", _("Medical settlements"), group="medical"),
    MenuEntry("medical:certifications", _("Medical certifications"), group="medical"),
    MenuEntry("medical:categories", _("Medical categories and terms"), group="medical"),
    MenuEntry("medical:institutions", _("Designated institutions"), group="medical"),
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
    """The menu entries `actor` may open, in order: [{"url", "label", "url_name", "group"}]."""
    shown: set[str] = set()
    entries = []
    for entry in MENU:
        if entry.instead_of and entry.instead_of in shown:
            continue
        if entry.unless and actor is not None and actor.can(entry.unless):
            continue
        if may_open(actor, entry.url_name):
            shown.add(entry.url_name)
            entries.append({"url_name": entry.url_name, "url": reverse(entry.url_name), "label": entry.label,
                            "group": entry.group})
    return entries


def menu_bar(entries: list[dict]) -> list[dict]:
    """The bar as the page draws it: each entry without a group, and each group the post has
    entries in, at its first entry's place ({"label", "entries"}); a group of one is an entry."""
    bar: list[dict] = []
    groups: dict[str, dict] = {}
    for entry in entries:
        if not entry["group"]:
            bar.append(entry)
        elif entry["group"] in groups:
            groups[entry["group"]]["entries"].append(entry)
        else:
            groups[entry["group"]] = {"group": entry["group"], "label": GROUPS[entry["group"]], "entries": [entry]}
            bar.append(groups[entry["group"]])
    return [item["entries"][0] if "entries" in item and len(item["entries"]) == 1 else item for item in bar]
