"""Which county or town a funding write is for, in the post's scope (out of scope: NotFound)."""
from __future__ import annotations

from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor

VIEW = "funding.view"
SUBSIDIES = "funding.subsidies"
BUDGET = "funding.budget"
APPROVE_OVERRUN = "funding.approve_overrun"
APPROVE_RUN = "payments.approve"     # the county leader approves a subsidy run as a payroll run


def area_in_scope(actor: Actor, code: str, *, levels=(Level.COUNTY, Level.TOWN), field: str = "area") -> Area:
    """The county or town `code` names, in the post's scope; another level is refused."""
    code = (code or "").strip()
    actor.require_area(code)
    area = Area.objects.filter(code=code).first() if code else None
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code or "—"}, field=field)
    if area.level not in levels:
        raise ValidationError(_("%(name)s is not a county or a town: budgets and subsidies are kept by counties and "
                                "towns.") % {"name": area.name}, field=field)
    return area


def county_in_scope(actor: Actor, code: str) -> Area:
    """The county a subsidy run is for (a run is per county)."""
    code = (code or "").strip()
    actor.require_area(code)
    county = Area.objects.filter(code=code).first() if code else None
    if county is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code or "—"}, field="county")
    if county.level != Level.COUNTY:
        raise ValidationError(_("%(name)s is not a county: subsidy runs are per county.") % {"name": county.name},
                              field="county")
    return county


def county_of(actor: Actor) -> str:
    """The county of the post ('' for a national post)."""
    return actor.area_code[:6] if len(actor.area_code) >= 6 else ""
