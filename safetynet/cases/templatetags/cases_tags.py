"""`{% household_cases household %}`: a household's applications and an "apply" button per program it could apply for,
for the registry's household page (one include, so the registry needs no knowledge of cases)."""
from django import template

from safetynet.cases import clocks, pages, selectors
from safetynet.registry.selectors import household_members

register = template.Library()


@register.inclusion_tag("cases/_household_cases.html", takes_context=True)
def household_cases(context, household):
    actor = context.get("actor")
    if actor is None or not actor.can(selectors.VIEW):
        return {"visible": False}
    rows = list(selectors.cases_in_scope(actor).filter(household_id=household.pk).order_by("-id")
                .values("id", "program_id", "status", "is_open", "applied_on")[:20])
    return {
        "visible": True, "household": household,
        "apply_options": pages.apply_options(actor, household, household_members(household), clocks.today()),
        "rows": [{**r, "program": pages.PROGRAM_SHORT.get(r["program_id"], r["program_id"]),
                  "status_label": pages.status_label(r["status"]), "status_css": pages.status_css(r["status"])} for r in rows],
    }
