"""`{% household_chain_link household %}`: the link to a household's assistance chain (and the
town's window for it), for the registry's household page: one tag, as `{% household_cases %}`, so
the registry needs no knowledge of discovery."""
from django import template

from safetynet.discovery.referral_models import OPEN_REFERRAL, Referral

register = template.Library()


@register.inclusion_tag("discovery/_household_chain_link.html", takes_context=True)
def household_chain_link(context, household):
    actor = context.get("actor")
    if actor is None or not actor.can("discovery.view"):
        return {"visible": False}
    return {"visible": True, "household": household, "may_work": actor.can("discovery.work"),
            "open_referrals": Referral.objects.filter(OPEN_REFERRAL, household_id=household.pk).count()}
