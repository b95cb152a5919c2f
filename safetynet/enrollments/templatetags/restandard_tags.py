"""The link from the standards page (programs) to the re-assessment of the county's enrollments
after a standard change (restandard.py), for the posts that may run it."""
from django import template

from safetynet.enrollments.restandard import standard_changes
from safetynet.programs import catalogue

register = template.Library()


@register.inclusion_tag("enrollments/_restandard_links.html", takes_context=True)
def restandard_links(context, program_code: str, area_code: str):
    actor = getattr(context.get("request"), "actor", None)
    county = (area_code or "")[:6]
    if actor is None or program_code != catalogue.DIBAO or len(county) != 6:
        return {"months": []}
    return {"months": standard_changes(actor, county), "county": county, "fixed": len(actor.area_code) >= 6}
