"""`{% household_cases household %}`: a household's applications and a "New application" button,
for the registry's household page (one include, so the registry needs no knowledge of cases)."""
from django import template

from safetynet.cases import pages, selectors

register = template.Library()


@register.inclusion_tag("cases/_household_cases.html", takes_context=True)
def household_cases(context, household):
    actor = context.get("actor")
    if actor is None or not actor.can(selectors.VIEW):
        return {"visible": False}
    rows = list(selectors.cases_in_scope(actor).filter(household_id=household.pk).order_by("-id")
                .values("id", "program_id", "status", "is_open", "applied_on")[:20])
    return {
        "visible": True, "household": household, "can_apply": actor.can("cases.apply"),
        "rows": [{**r, "program": pages.PROGRAM_SHORT.get(r["program_id"], r["program_id"]),
                  "status_label": pages.status_label(r["status"]), "status_css": pages.status_css(r["status"])} for r in rows],
    }
